import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotePg } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import type { LoadResult } from '../../core/load/load-table';
import { odSchema } from '../../core/opendental/reference';
import { compareRawWithReplica } from '../helpers/compare-raw';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

const TABLES = Object.keys(odSchema);
let fx: PipelineFixture;
const results: LoadResult[] = [];

beforeAll(async () => {
  fx = await createPipelineFixture('lf');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 21, database: fx.names.source });
  await fx.reopen();
  for (const table of TABLES) await fx.extract(table, 'e1');
  for (const table of TABLES) results.push(await fx.load(table, 'l1'));
}, 900_000);

afterAll(async () => {
  await fx?.close();
});

describe('full load of the small demo clinic', () => {
  it('loads every table completely, by full load the first time', () => {
    expect(results).toHaveLength(422);
    expect(
      results.every((r) => r.mode === 'full' && r.fullLoadReason === 'first load of this table'),
    ).toBe(true);
    expect(results.reduce((n, r) => n + r.rowsCopied, 0)).toBeGreaterThan(250_000);
  });

  it('raw equals the replica row for row, with only the documented conversions', async () => {
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, TABLES),
    ).toEqual([]);
  });

  it('counts the conversions it applied (the demo has zero and partial dates in patient.DateFirstVisit)', async () => {
    const patient = results.find((r) => r.table === 'patient');
    const [expected] = await fx.admin.queryArrays(
      `SELECT COUNT(*) FROM ${fx.names.replica}.patient WHERE DateFirstVisit LIKE '0000%' OR DateFirstVisit LIKE '%-00%'`,
    );
    expect(patient?.conversions.zeroDateToNull).toBe(Number(expected?.[0]));
    expect(patient?.conversions.zeroDateToNull).toBeGreaterThan(0);
  });

  it('keeps the primary key, lowercases names and adds the _etl_ columns', async () => {
    const [pk] = await fx.loadDeps.analytics.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'raw.procedurelog'::regclass AND contype = 'p'`,
    );
    expect(pk?.def).toBe('PRIMARY KEY (procnum)');
    const columns = await fx.loadDeps.analytics.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = 'patient' ORDER BY ordinal_position`,
    );
    expect(columns[0]).toEqual({ column_name: 'patnum', data_type: 'bigint' });
    expect(columns.find((c) => c.column_name === 'birthdate')?.data_type).toBe('date');
    expect(columns.find((c) => c.column_name === 'schedbeforetime')?.data_type).toBe('interval');
    expect(columns.slice(-2).map((c) => c.column_name)).toEqual(['_etl_loaded_at', '_etl_run_id']);
    const [{ n } = { n: '' }] = await fx.loadDeps.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quotePg('raw')}.patient WHERE _etl_run_id = 'l1'`,
    );
    expect(Number(n)).toBeGreaterThan(0);
  });

  it('a second run with no changes copies nothing and rewrites nothing', async () => {
    const again = [];
    for (const table of ['patient', 'procedurelog', 'securitylog', 'definition'])
      again.push(await fx.load(table, 'l2'));
    expect(
      again.map((r) => [r.mode, r.rowsCopied, r.rowsUpserted, r.rowsDeleted, r.changes]),
    ).toEqual([
      ['incremental', 0, 0, 0, 0],
      ['incremental', 0, 0, 0, 0],
      ['incremental', 0, 0, 0, 0],
      ['incremental', 0, 0, 0, 0],
    ]);
  });
});
