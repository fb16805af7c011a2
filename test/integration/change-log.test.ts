import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import {
  applyChangeWindow,
  type ChangeBatch,
  type ChangeLogReader,
  lastOperationPerKey,
  readChangeWindow,
} from '../../core/handoff/change-log';
import {
  ensureRawChangeLog,
  logRawFullRefresh,
  rawChangeLog,
  rawChangeLogTable,
} from '../../core/handoff/raw-change-log';
import {
  ensureReplicaChangeLog,
  logReplicaChanges,
  replicaChangeLog,
} from '../../core/handoff/replica-change-log';
import {
  adminMysql,
  dropMysqlDatabases,
  LOCAL_MYSQL,
  LOCAL_PG,
  testDatabaseName,
} from '../helpers/local-databases';
import { dropPgDatabase } from '../helpers/pipeline-fixture';

/**
 * The one change-log apply of load and transform, on both change logs it reads: the replica's
 * (MariaDB, written by the extract) and raw's (PostgreSQL, written by the load).
 */
const names = { replica: testDatabaseName('cl_rep'), analytics: testDatabaseName('cl_pg') };
let admin: MysqlSession;
let pgAdmin: PgSession;
let replica: MysqlSession;
let pg: PgSession;

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, names.replica);
  await admin.execute(`CREATE DATABASE ${quoteMysql(names.replica)}`);
  pgAdmin = await openPg(LOCAL_PG, { label: 'test-admin' });
  await dropPgDatabase(pgAdmin, names.analytics);
  await pgAdmin.query(`CREATE DATABASE ${quotePg(names.analytics)}`);
  replica = await openMysql(
    { ...LOCAL_MYSQL, database: names.replica },
    { label: 'replication', readOnly: false },
  );
  pg = await openPg({ ...LOCAL_PG, database: names.analytics }, { label: 'analytics' });
  await ensureReplicaChangeLog(replica);
  await ensureRawChangeLog(pg, 'etl_meta');
});

afterAll(async () => {
  await replica?.close();
  await pg?.close();
  await dropMysqlDatabases(admin, names.replica);
  await dropPgDatabase(pgAdmin, names.analytics);
  await admin?.close();
  await pgAdmin?.close();
});

/** 12,000 upserts of keys 1..12000, then key 5 deleted, key 11,999 deleted and upserted again. */
const KEYS = Array.from({ length: 12_000 }, (_, i) => String(i + 1));

async function applyAll(log: ChangeLogReader, table: string, cursor = '0') {
  const window = await readChangeWindow(log, table, cursor);
  const batches: ChangeBatch[] = [];
  const applied = await applyChangeWindow({
    log,
    table,
    window,
    apply: async (batch) => {
      batches.push(batch);
    },
  });
  return { window, batches, applied };
}

function expectFinalState(batches: ChangeBatch[]) {
  // Batches apply in seq order; within a batch the last operation per key wins.
  const state = new Map<string, 'U' | 'D'>();
  for (const b of batches) {
    for (const k of b.upserts) state.set(k, 'U');
    for (const k of b.deletes) state.set(k, 'D');
  }
  expect(state.size).toBe(12_000);
  expect(state.get('5')).toBe('D');
  expect(state.get('11999')).toBe('U');
  expect(state.get('12000')).toBe('U');
  expect([...state.values()].filter((op) => op === 'D')).toHaveLength(1);
}

describe('the change-log apply', () => {
  it('keeps the last operation per key of a batch', () => {
    expect(
      lastOperationPerKey([
        { seq: '1', op: 'U', pk: 'a' },
        { seq: '2', op: 'D', pk: 'a' },
        { seq: '3', op: 'D', pk: 'b' },
        { seq: '4', op: 'U', pk: 'b' },
        { seq: '5', op: 'F', pk: null },
      ]),
    ).toEqual({ upserts: ['b'], deletes: ['a'] });
  });

  it('reads the replica change log in batches, in order, and prunes what was applied', async () => {
    await logReplicaChanges(replica, { table: 'claim', runId: 'r1', op: 'U', keys: KEYS });
    await logReplicaChanges(replica, {
      table: 'claim',
      runId: 'r1',
      op: 'D',
      keys: ['5', '11999'],
    });
    await logReplicaChanges(replica, { table: 'claim', runId: 'r1', op: 'U', keys: ['11999'] });
    await logReplicaChanges(replica, { table: 'other', runId: 'r1', op: 'U', keys: ['1'] });
    const log = replicaChangeLog(replica);
    const { window, batches, applied } = await applyAll(log, 'claim');
    expect(window.fullRefresh).toBe(false);
    expect(applied).toBe(12_003);
    expect(batches.length).toBe(2);
    expectFinalState(batches);

    await log.prune('claim', window.head);
    expect(await applyAll(log, 'claim', window.head)).toMatchObject({ applied: 0, batches: [] });
    expect((await applyAll(log, 'other')).applied).toBe(1);
  });

  it('reads raw’s change log the same way, and sees a full-refresh marker in the window', async () => {
    const log = rawChangeLog(pg, 'etl_meta');
    await pg.query(
      `INSERT INTO ${rawChangeLogTable('etl_meta')} (table_name, op, pk, run_id)
       SELECT 'claim', 'U', k::text, 'r1' FROM generate_series(1, 12000) AS k`,
    );
    await pg.query(
      `INSERT INTO ${rawChangeLogTable('etl_meta')} (table_name, op, pk, run_id)
       VALUES ('claim', 'D', '5', 'r1'), ('claim', 'D', '11999', 'r1'), ('claim', 'U', '11999', 'r1')`,
    );
    const { window, batches, applied } = await applyAll(log, 'claim');
    expect(window.fullRefresh).toBe(false);
    expect(applied).toBe(12_003);
    expectFinalState(batches);

    await logRawFullRefresh(pg, 'etl_meta', 'claim', 'r2');
    const after = await readChangeWindow(log, 'claim', window.head);
    expect(after.fullRefresh).toBe(true);
    await log.prune('claim', after.head);
    // Everything applied is forgotten: an empty log, whatever the cursor.
    expect(await log.head('claim')).toBe('0');
    expect((await applyAll(log, 'claim', after.head)).applied).toBe(0);
  });
});
