import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../contract/errors';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import {
  type ExtractDeps,
  type ExtractResult,
  extractTable,
} from '../../core/extract/extract-table';
import {
  adminMysql,
  beforeEachCall,
  closeExtractDeps,
  differingChecksums,
  dropMysqlDatabases,
  killOnCall,
  openExtractDeps,
  testDatabaseName,
} from '../helpers/local-databases';

const SOURCE = testDatabaseName('xi_src');
const REPLICA = testDatabaseName('xi_rep');
const TABLES = [
  'patient',
  'procedurelog',
  'securitylog',
  'definition',
  'claim',
  'toothinitial',
  'paysplit',
];
let admin: MysqlSession;
let deps: ExtractDeps;

const src = (table: string) => `${quoteMysql(SOURCE)}.${quoteMysql(table)}`;

async function extractAll(runId: string, options: { reconcile?: boolean } = {}) {
  const results: Record<string, ExtractResult> = {};
  for (const table of TABLES)
    results[table] = await extractTable(deps, { runId, table, mode: 'incremental', ...options });
  return results;
}

async function changeLog(runId: string, table: string): Promise<string[]> {
  const rows = await admin.query<{ op: string; pk: string }>(
    `SELECT op, pk FROM ${quoteMysql(REPLICA)}._etl_changelog WHERE run_id = ? AND table_name = ? ORDER BY op, CAST(pk AS UNSIGNED)`,
    [runId, table],
  );
  return rows.map((r) => `${r.op}${r.pk}`);
}

async function reopen(): Promise<void> {
  await closeExtractDeps(deps);
  deps = await openExtractDeps(SOURCE, REPLICA, deps.settings.batchSize);
}

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, REPLICA);
  await seedDemoClinic(admin, { scale: 'tiny', seed: 5, database: SOURCE });
  await admin.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
  deps = await openExtractDeps(SOURCE, REPLICA, 50);
  await extractAll('r1');
});

afterAll(async () => {
  await closeExtractDeps(deps);
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.close();
});

describe('incremental extract after a day of changes and an OpenDental upgrade', () => {
  let r2: Record<string, ExtractResult>;

  beforeAll(async () => {
    const [max] = await admin.queryArrays(`SELECT MAX(PatNum) FROM ${src('patient')}`);
    const next = Number(max?.[0]) + 1;
    // patient (timestamp): 2 inserts, 3 updates that bump DateTStamp, 1 delete.
    await admin.execute(
      `INSERT INTO ${src('patient')} (PatNum, LName, FName, Guarantor, Birthdate) VALUES (?, 'Nuevo', 'Ana', ?, '1990-05-01'), (?, 'Nuevo', 'Luis', ?, '1992-07-01')`,
      [next, next, next + 1, next],
    );
    await admin.execute(
      `UPDATE ${src('patient')} SET LName = CONCAT(LName, '-Smith') WHERE PatNum IN (2, 3, 4)`,
    );
    await admin.execute(`DELETE FROM ${src('patient')} WHERE PatNum = 5`);
    // procedurelog (timestamp): a fee corrected without touching DateTStamp: invisible to timestamps.
    await admin.execute(
      `UPDATE ${src('procedurelog')} SET ProcFee = ProcFee + 1, DateTStamp = DateTStamp WHERE ProcNum IN (1, 2)`,
    );
    // securitylog (append): 3 new entries.
    await admin.execute(
      `INSERT INTO ${src('securitylog')} (SecurityLogNum, PermType, LogText, LogDateTime) SELECT MAX(SecurityLogNum) + seq, 27, 'new entry', NOW() FROM ${src('securitylog')}, ${quoteMysql(SOURCE)}.seq_1_to_3 GROUP BY seq`,
    );
    // definition (reconcile: no change column): insert, update, delete.
    await admin.execute(
      `INSERT INTO ${src('definition')} (DefNum, Category, ItemName) VALUES (9001, 1, 'Courtesy discount')`,
    );
    await admin.execute(`UPDATE ${src('definition')} SET ItemName = 'Renamed' WHERE DefNum = 1`);
    await admin.execute(`DELETE FROM ${src('definition')} WHERE DefNum = 2`);
    // claim: an OpenDental upgrade adds a column (filled for some rows) and an index.
    await admin.execute(
      `ALTER TABLE ${src('claim')} ADD COLUMN ClaimSource VARCHAR(50) NOT NULL DEFAULT '' AFTER ClaimNote, ADD INDEX ClaimSource (ClaimSource)`,
    );
    await admin.execute(
      `UPDATE ${src('claim')} SET ClaimSource = 'eClaims', SecDateTEdit = SecDateTEdit WHERE ClaimNum <= 3`,
    );
    r2 = await extractAll('r2');
  });

  it('moves exactly the changes of each strategy, and nothing for unchanged tables', () => {
    expect(r2.patient).toMatchObject({
      strategy: 'timestamp',
      rowsInserted: 2,
      rowsUpdated: 3,
      rowsDeleted: 1,
      // A table under the size threshold that the source wrote is compared whole that night.
      reconciled: true,
      verification: { compared: 'whole' },
    });
    expect(r2.securitylog).toMatchObject({
      strategy: 'append',
      rowsInserted: 3,
      rowsUpdated: 0,
      rowsDeleted: 0,
    });
    expect(r2.definition).toMatchObject({
      strategy: 'reconcile',
      rowsInserted: 1,
      rowsUpdated: 1,
      rowsDeleted: 1,
    });
    expect(r2.toothinitial).toMatchObject({
      rowsInserted: 0,
      rowsUpdated: 0,
      rowsDeleted: 0,
      bytes: 0,
    });
    expect(r2.paysplit).toMatchObject({
      rowsInserted: 0,
      rowsUpdated: 0,
      rowsDeleted: 0,
      bytes: 0,
    });
  });

  it('applies the new column and index in place and fills existing rows', async () => {
    expect(r2.claim?.schemaChange).toEqual({
      action: 'alter',
      detail: 'columns added: ClaimSource; indexes changed',
    });
    expect(r2.claim).toMatchObject({ strategy: 'timestamp', reconciled: true, rowsUpdated: 3 });
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['claim'])).toEqual([]);
  });

  it('logs exactly the changed keys', async () => {
    const [max] = await admin.queryArrays(`SELECT MAX(PatNum) FROM ${src('patient')}`);
    const newest = Number(max?.[0]);
    expect(await changeLog('r2', 'patient')).toEqual([
      'D5',
      'U2',
      'U3',
      'U4',
      `U${newest - 1}`,
      `U${newest}`,
    ]);
    expect(await changeLog('r2', 'definition')).toEqual(['D2', 'U1', 'U9001']);
    expect(await changeLog('r2', 'toothinitial')).toEqual([]);
    expect(await changeLog('r2', 'securitylog')).toHaveLength(3);
  });

  it('leaves every table equal, an edit that bypassed the change column included, the same night', async () => {
    expect(r2.procedurelog).toMatchObject({ rowsUpdated: 2, reconciled: true });
    expect(await changeLog('r2', 'procedurelog')).toEqual(['U1', 'U2']);
    expect(await differingChecksums(admin, SOURCE, REPLICA, TABLES)).toEqual([]);
    const r3 = await extractAll('r3', { reconcile: true });
    expect(r3.procedurelog).toMatchObject({ rowsUpdated: 0, reconciled: true });
  });

  it('finds deletes and an unstamped insert the same night', async () => {
    const [max] = await admin.queryArrays(`SELECT MAX(ProcNum) FROM ${src('procedurelog')}`);
    await admin.execute(`DELETE FROM ${src('procedurelog')} WHERE ProcNum IN (3, 4)`);
    // A copy under a new key that keeps its old DateTStamp: invisible to the timestamp pass.
    await admin.execute(
      `CREATE TEMPORARY TABLE proc_copy AS SELECT * FROM ${src('procedurelog')} WHERE ProcNum = 5`,
    );
    await admin.execute('UPDATE proc_copy SET ProcNum = ?', [Number(max?.[0]) + 1]);
    await admin.execute(`INSERT INTO ${src('procedurelog')} SELECT * FROM proc_copy`);
    await admin.execute('DROP TEMPORARY TABLE proc_copy');
    const r4 = await extractTable(deps, {
      runId: 'r4',
      table: 'procedurelog',
      mode: 'incremental',
    });
    expect(r4).toMatchObject({ rowsInserted: 1, rowsDeleted: 2, reconciled: true });
    expect(await changeLog('r4', 'procedurelog')).toEqual(['D3', 'D4', `U${Number(max?.[0]) + 1}`]);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['procedurelog'])).toEqual([]);
  });
});

describe('a connection killed in the middle of a table', () => {
  async function watermark(table: string): Promise<string | null> {
    const [row] = await admin.query<{ watermark: string | null; last_run_id: string }>(
      `SELECT watermark, last_run_id FROM ${quoteMysql(REPLICA)}._etl_extract_state WHERE table_name = ?`,
      [table],
    );
    return row ? `${row.last_run_id}@${row.watermark}` : null;
  }

  it('during a full copy: the replica keeps its old table, and the rerun converges', async () => {
    const before = await watermark('paysplit');
    const killed = killOnCall(deps.source, admin, /FROM `paysplit`/, 4);
    await expect(
      extractTable({ ...deps, source: killed }, { runId: 'k1', table: 'paysplit', mode: 'full' }),
    ).rejects.toBeInstanceOf(ConnectionLostError);
    expect(await watermark('paysplit')).toBe(before);
    await reopen();
    await extractTable(deps, { runId: 'k1-rerun', table: 'paysplit', mode: 'incremental' });
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['paysplit'])).toEqual([]);
  });

  it('during an incremental pass: committed chunks stay, the watermark does not move, the rerun converges', async () => {
    // Over the size threshold (a rolling share from the plan): the timestamp pass runs.
    const rolling = { compareRows: 1_000_000 };
    await admin.execute(`UPDATE ${src('appointment')} SET Note = CONCAT(Note, ' (confirmed)')`);
    await extractTable(deps, { runId: 'k2-base', table: 'appointment', mode: 'incremental' }).catch(
      () => {},
    );
    const before = await watermark('appointment');
    await admin.execute(`UPDATE ${src('appointment')} SET Note = CONCAT(Note, ' (rescheduled)')`);
    const killed = killOnCall(deps.replica, admin, /INSERT INTO `appointment`/, 2);
    await expect(
      extractTable(
        { ...deps, replica: killed },
        { runId: 'k2', table: 'appointment', mode: 'incremental', batchSize: 10, ...rolling },
      ),
    ).rejects.toBeInstanceOf(ConnectionLostError);
    expect(await watermark('appointment')).toBe(before);
    await reopen();
    const rerun = await extractTable(deps, {
      runId: 'k2-rerun',
      table: 'appointment',
      mode: 'incremental',
      ...rolling,
    });
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['appointment'])).toEqual([]);
    // Keys committed before the kill are not logged twice: the rerun only logs what it changed.
    const [counts] = await admin.queryArrays(
      `SELECT COUNT(*), COUNT(DISTINCT pk) FROM ${quoteMysql(REPLICA)}._etl_changelog WHERE run_id IN ('k2', 'k2-rerun') AND table_name = 'appointment'`,
    );
    const [appointments] = await admin.queryArrays(`SELECT COUNT(*) FROM ${src('appointment')}`);
    expect(Number(counts?.[0])).toBe(Number(appointments?.[0]));
    expect(Number(counts?.[1])).toBe(Number(appointments?.[0]));
    expect(rerun.rowsUpdated).toBeGreaterThan(0);
    expect(rerun.rowsUpdated).toBeLessThan(Number(appointments?.[0]));
  });
});

describe('a full copy while the clinic keeps writing', () => {
  it('repairs rows written to the source during the copy before swapping the shadow in', async () => {
    let reads = 0;
    // After the first key chunk has been copied, the front desk edits a row in it.
    const writing = beforeEachCall(deps.source, async (sql) => {
      if (/FROM `procedurelog`.* LIMIT/.test(sql) && ++reads === 2) {
        await admin.execute(
          `UPDATE ${src('procedurelog')} SET ProcFee = ProcFee + 100, DateTStamp = DateTStamp WHERE ProcNum = 1`,
        );
      }
    });
    await extractTable(
      { ...deps, source: writing },
      { runId: 'w1', table: 'procedurelog', mode: 'full', batchSize: 50 },
    );
    expect(reads).toBeGreaterThan(2);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['procedurelog'])).toEqual([]);
  });
});
