import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { stageDependencies } from '../../core/pipeline/stage-registry';
import { type TransformResult, transformTable } from '../../core/transform/transform-table';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

const TABLES = ['patient', 'procedurelog', 'appointment', 'definition', 'claim', 'securitylog'];
let fx: PipelineFixture;
const src = (table: string) => `${quoteMysql(fx.names.source)}.${quoteMysql(table)}`;
const transform = (
  table: string,
  runId: string,
  options: { mode?: 'incremental' | 'full'; schema?: string } = {},
) =>
  transformTable(
    {
      ...stageDependencies.transform(fx.config, fx.loadDeps, memoryLogger()),
      // A second public schema (with its own cursors) for comparing incremental with full.
      ...(options.schema
        ? { schemas: { raw: 'raw', public: options.schema, meta: `${options.schema}_meta` } }
        : {}),
    },
    { runId, table, mode: options.mode ?? 'incremental' },
  );

async function cycle(runId: string): Promise<Record<string, TransformResult>> {
  for (const table of TABLES) await fx.extract(table, runId);
  for (const table of TABLES) await fx.load(table, runId);
  const out: Record<string, TransformResult> = {};
  for (const table of TABLES) out[table] = await transform(table, runId);
  return out;
}

/** Rows in one table and not the other, both ways (EXCEPT ALL), ignoring the load timestamps. */
async function tableDifference(table: string, a: string, b: string): Promise<number> {
  const pg = fx.loadDeps.analytics;
  const columns = await pg.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name NOT LIKE '\\_etl\\_%' ORDER BY ordinal_position`,
    [a, table],
  );
  const list = columns.map((c) => quotePg(c.column_name)).join(', ');
  const [row] = await pg.query<{ n: string }>(
    `SELECT ((SELECT count(*) FROM (SELECT ${list} FROM ${quotePg(a)}.${quotePg(table)} EXCEPT ALL SELECT ${list} FROM ${quotePg(b)}.${quotePg(table)}) x)
           + (SELECT count(*) FROM (SELECT ${list} FROM ${quotePg(b)}.${quotePg(table)} EXCEPT ALL SELECT ${list} FROM ${quotePg(a)}.${quotePg(table)}) y))::text AS n`,
  );
  return Number(row?.n);
}

beforeAll(async () => {
  fx = await createPipelineFixture('ti');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 13, database: fx.names.source });
  await fx.reopen();
  await cycle('c1');
});

afterAll(async () => {
  await fx?.close();
});

describe('incremental transform', () => {
  it('after source changes, public equals a fresh full transform of raw', async () => {
    const [max] = await fx.admin.queryArrays(`SELECT MAX(PatNum) FROM ${src('patient')}`);
    await fx.admin.execute(
      `INSERT INTO ${src('patient')} (PatNum, LName, FName, Premed, PatStatus) VALUES (?, 'Nuevo', 'Ana', 3, 2)`,
      [Number(max?.[0]) + 1],
    );
    await fx.admin.execute(
      `UPDATE ${src('patient')} SET Premed = 1 - Premed, Birthdate = '0001-01-01' WHERE PatNum IN (2, 3)`,
    );
    await fx.admin.execute(`DELETE FROM ${src('patient')} WHERE PatNum = 7`);
    await fx.admin.execute(`UPDATE ${src('appointment')} SET AptStatus = 5 WHERE AptNum <= 4`);
    await fx.admin.execute(`DELETE FROM ${src('definition')} WHERE DefNum = 2`);

    const c2 = await cycle('c2');
    expect(c2.patient).toMatchObject({ mode: 'incremental', rowsUpserted: 3, rowsDeleted: 1 });
    expect(c2.appointment?.mode).toBe('incremental');
    expect(c2.definition).toMatchObject({ mode: 'incremental', rowsDeleted: 1 });
    expect(c2.securitylog).toMatchObject({
      mode: 'incremental',
      rowsUpserted: 0,
      rowsDeleted: 0,
      changes: 0,
    });

    await fx.loadDeps.analytics.query('CREATE SCHEMA IF NOT EXISTS public_full');
    for (const table of TABLES) {
      await transform(table, 'check', { mode: 'full', schema: 'public_full' });
      expect(await tableDifference(table, 'public', 'public_full'), table).toBe(0);
    }
    expect(await comparePublicWithRaw(fx.loadDeps.analytics, TABLES)).toEqual([]);
  });

  it('a column added on the source flows to public without a manual step', async () => {
    await fx.admin.execute(
      `ALTER TABLE ${src('claim')} ADD COLUMN IsUrgentReview TINYINT NOT NULL DEFAULT 0 AFTER ClaimNote`,
    );
    await fx.admin.execute(
      `UPDATE ${src('claim')} SET IsUrgentReview = 1, SecDateTEdit = SecDateTEdit WHERE ClaimNum = 1`,
    );
    const c3 = await cycle('c3');
    expect(c3.claim).toMatchObject({ mode: 'full', fullReason: 'raw columns changed' });
    const rows = await fx.loadDeps.analytics.query<{ claim_num: string; is_urgent_review: number }>(
      `SELECT claim_num::text, is_urgent_review FROM public.claim WHERE claim_num IN (1, 2) ORDER BY claim_num`,
    );
    expect(rows).toEqual([
      { claim_num: '1', is_urgent_review: 1 },
      { claim_num: '2', is_urgent_review: 0 },
    ]);
    expect(await comparePublicWithRaw(fx.loadDeps.analytics, ['claim'])).toEqual([]);
  });

  it('rebuilds after raw was fully reloaded, and leaves nothing in raw’s change log', async () => {
    await fx.extract('procedurelog', 'c4', { mode: 'full' });
    await fx.load('procedurelog', 'c4');
    const result = await transform('procedurelog', 'c4');
    expect(result).toMatchObject({ mode: 'full', fullReason: 'raw was fully reloaded' });
    const [left] = await fx.loadDeps.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM etl_meta.raw_changelog`,
    );
    expect(left?.n).toBe('0');
  });
});
