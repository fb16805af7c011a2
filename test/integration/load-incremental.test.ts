import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../contract/errors';
import { quoteMysql } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { loadTable } from '../../core/load/load-table';
import { compareRawWithReplica } from '../helpers/compare-raw';
import {
  createPipelineFixture,
  type PipelineFixture,
  terminateDuringCopy,
} from '../helpers/pipeline-fixture';

const TABLES = ['patient', 'procedurelog', 'securitylog', 'definition', 'claim', 'paysplit'];
let fx: PipelineFixture;
const src = (table: string) => `${quoteMysql(fx.names.source)}.${quoteMysql(table)}`;

async function cycle(runId: string) {
  const loads = [];
  for (const table of TABLES) await fx.extract(table, runId);
  for (const table of TABLES) loads.push(await fx.load(table, runId));
  return Object.fromEntries(loads.map((r) => [r.table, r]));
}

async function updatedTuples(table: string): Promise<number> {
  await fx.loadDeps.analytics.query('SELECT pg_stat_force_next_flush()');
  const [row] = await fx.loadDeps.analytics.query<{ n: string }>(
    `SELECT (n_tup_upd + n_tup_hot_upd * 0)::text AS n FROM pg_stat_user_tables WHERE schemaname = 'raw' AND relname = $1`,
    [table],
  );
  return Number(row?.n ?? 0);
}

beforeAll(async () => {
  fx = await createPipelineFixture('li', { batchSize: 100 });
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 9, database: fx.names.source });
  await fx.reopen();
  await cycle('c1');
});

afterAll(async () => {
  await fx?.close();
});

describe('incremental load from the replica change log', () => {
  it('applies exactly the inserts, updates and deletes, and rewrites no unchanged row', async () => {
    const updatesBefore = await updatedTuples('patient');
    const [max] = await fx.admin.queryArrays(`SELECT MAX(PatNum) FROM ${src('patient')}`);
    await fx.admin.execute(
      `INSERT INTO ${src('patient')} (PatNum, LName, FName, Birthdate, DateFirstVisit) VALUES (?, 'Nuevo', 'Ana', '0000-00-00', '1990-01-01')`,
      [Number(max?.[0]) + 1],
    );
    await fx.admin.execute(
      `UPDATE ${src('patient')} SET LName = CONCAT(LName, '-Q') WHERE PatNum IN (2, 3)`,
    );
    await fx.admin.execute(`DELETE FROM ${src('patient')} WHERE PatNum IN (4, 6)`);
    await fx.admin.execute(`DELETE FROM ${src('definition')} WHERE DefNum = 3`);
    await fx.admin.execute(
      `UPDATE ${src('paysplit')} SET SplitAmt = SplitAmt + 1 WHERE SplitNum <= 5`,
    );

    const c2 = await cycle('c2');
    expect(c2.patient).toMatchObject({
      mode: 'incremental',
      rowsUpserted: 3,
      rowsDeleted: 2,
      rowsCopied: 0,
    });
    expect(c2.patient?.conversions.zeroDateToNull).toBe(1);
    expect(c2.definition).toMatchObject({ mode: 'incremental', rowsUpserted: 0, rowsDeleted: 1 });
    expect(c2.paysplit).toMatchObject({ mode: 'incremental', rowsUpserted: 5, rowsDeleted: 0 });
    expect(c2.securitylog).toMatchObject({
      mode: 'incremental',
      rowsUpserted: 0,
      rowsDeleted: 0,
      changes: 0,
    });
    expect(await updatedTuples('patient')).toBe(updatesBefore + 2);
    // raw's own change tracking, for the transform: the keys that really changed, in this run.
    const logged = await fx.loadDeps.analytics.query<{ op: string; pk: string }>(
      `SELECT op, pk FROM etl_meta.raw_changelog WHERE table_name = 'patient' AND run_id = 'c2' ORDER BY op, pk::bigint`,
    );
    expect(logged.map((r) => `${r.op}${r.pk}`)).toEqual([
      'D4',
      'D6',
      'U2',
      'U3',
      `U${Number(max?.[0]) + 1}`,
    ]);
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, TABLES),
    ).toEqual([]);
  });

  it('does not rewrite rows the change log names but whose values did not change', async () => {
    const before = await updatedTuples('procedurelog');
    // A reconcile that re-logs unchanged keys (here: forced log entries) must not touch raw rows.
    await fx.admin.execute(
      `INSERT INTO ${quoteMysql(fx.names.replica)}._etl_changelog (table_name, op, pk, run_id) SELECT 'procedurelog', 'U', ProcNum, 'relog' FROM ${quoteMysql(fx.names.replica)}.procedurelog WHERE ProcNum <= 20`,
    );
    const result = await fx.load('procedurelog', 'c3');
    expect(result).toMatchObject({ mode: 'incremental', changes: 20, rowsUpserted: 0 });
    expect(await updatedTuples('procedurelog')).toBe(before);
  });

  it('prunes the change log up to the committed cursor', async () => {
    const [left] = await fx.admin.queryArrays(
      `SELECT COUNT(*) FROM ${quoteMysql(fx.names.replica)}._etl_changelog WHERE table_name IN ('patient', 'procedurelog')`,
    );
    expect(Number(left?.[0])).toBe(0);
  });

  it('adds a column added on the source to raw, without a manual step', async () => {
    await fx.admin.execute(
      `ALTER TABLE ${src('claim')} ADD COLUMN ClaimSource VARCHAR(50) NOT NULL DEFAULT 'paper' AFTER ClaimNote`,
    );
    await fx.admin.execute(
      `UPDATE ${src('claim')} SET ClaimSource = 'eClaims', SecDateTEdit = SecDateTEdit WHERE ClaimNum <= 2`,
    );
    const c4 = await cycle('c4');
    expect(c4.claim).toMatchObject({
      mode: 'incremental',
      schemaChange: { action: 'add', detail: 'columns added: claimsource' },
    });
    const [column] = await fx.loadDeps.analytics.query<{ data_type: string }>(
      `SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'claim' AND column_name = 'claimsource'`,
    );
    expect(column?.data_type).toBe('character varying');
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, ['claim']),
    ).toEqual([]);
  });

  it('reloads through the shadow swap when a full-refresh marker arrives', async () => {
    await fx.extract('paysplit', 'c5', { mode: 'full' });
    const result = await fx.load('paysplit', 'c5');
    expect(result).toMatchObject({
      mode: 'full',
      fullLoadReason: 'full-refresh marker in the change log',
    });
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, ['paysplit']),
    ).toEqual([]);
  });
});

describe('the load connection killed in the middle of COPY', () => {
  const withKilledCopy = () => ({
    ...fx.loadDeps,
    analytics: terminateDuringCopy(fx.loadDeps.analytics, fx.pgAdmin),
  });

  it('leaves raw as it was (full load), and the rerun converges', async () => {
    const count = async () =>
      (
        await fx.loadDeps.analytics.query<{ n: string }>(
          'SELECT count(*)::text AS n FROM raw.securitylog',
        )
      )[0]?.n;
    await fx.admin.execute(
      `INSERT INTO ${src('securitylog')} (SecurityLogNum, PermType, LogText) SELECT 100000 + seq, 27, 'bulk' FROM ${quoteMysql(fx.names.source)}.seq_1_to_3000`,
    );
    await fx.extract('securitylog', 'k1');
    const rowsBefore = await count();
    await expect(
      loadTable(withKilledCopy(), { runId: 'k1', table: 'securitylog', mode: 'full' }),
    ).rejects.toBeInstanceOf(ConnectionLostError);
    await fx.reopen();
    expect(await count()).toBe(rowsBefore);
    const rerun = await fx.load('securitylog', 'k1-rerun');
    expect(rerun.mode).toBe('incremental');
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, [
        'securitylog',
      ]),
    ).toEqual([]);
  });

  it('leaves raw and the cursor as they were (incremental), and the rerun converges', async () => {
    await fx.admin.execute(`UPDATE ${src('procedurelog')} SET ProcFee = ProcFee + 2`);
    await fx.extract('procedurelog', 'k2');
    const cursor = async () =>
      (
        await fx.loadDeps.analytics.query<{ c: string }>(
          `SELECT cursor::text AS c FROM etl_meta.load_state WHERE table_name = 'procedurelog'`,
        )
      )[0]?.c;
    const fee = async () =>
      (
        await fx.loadDeps.analytics.query<{ s: string }>(
          'SELECT sum(procfee)::text AS s FROM raw.procedurelog',
        )
      )[0]?.s;
    const [cursorBefore, feeBefore] = [await cursor(), await fee()];
    await expect(
      loadTable(withKilledCopy(), { runId: 'k2', table: 'procedurelog', mode: 'incremental' }),
    ).rejects.toBeInstanceOf(ConnectionLostError);
    await fx.reopen();
    expect(await cursor()).toBe(cursorBefore);
    expect(await fee()).toBe(feeBefore);
    const rerun = await fx.load('procedurelog', 'k2-rerun');
    expect(rerun).toMatchObject({ mode: 'incremental' });
    expect(rerun.rowsUpserted).toBeGreaterThan(0);
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, [
        'procedurelog',
      ]),
    ).toEqual([]);
  });
});
