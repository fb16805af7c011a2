import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import { StageSessionPool } from '../../core/pipeline/session-pool';
import { createStageRegistry } from '../../core/pipeline/stage-registry';
import { adminMysql, LOCAL_MYSQL, LOCAL_PG } from '../helpers/local-databases';

const config = PipelineConfigSchema.parse({
  connections: {
    source: { ...LOCAL_MYSQL },
    replication: { ...LOCAL_MYSQL },
    analytics: { ...LOCAL_PG },
  },
});
const STAGES = createStageRegistry(config);

describe('stage session pool', () => {
  let admin: MysqlSession;
  let pgAdmin: PgSession;
  let pool: StageSessionPool;
  let clock = 0;

  beforeAll(async () => {
    admin = await adminMysql();
    pgAdmin = await openPg(LOCAL_PG, { label: 'test-admin' });
  });
  afterEach(async () => {
    await pool.close();
  });
  afterAll(async () => {
    await admin.close();
    await pgAdmin.close();
  });

  function newPool(maxIdleMs = 60_000) {
    clock = 0;
    pool = new StageSessionPool({ maxIdleMs, now: () => clock });
    return pool;
  }

  it('gives the next task of the same stage the sessions of a task that succeeded', async () => {
    newPool();
    const first = await pool.acquire(config, 'extract', STAGES.extract.roles);
    const ids = [first.source?.threadId, first.replica?.threadId, first.analytics.processId];
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    await pool.release(first, true);
    expect(pool.idleCount).toBe(3);
    const second = await pool.acquire(config, 'extract', STAGES.extract.roles);
    expect([second.source?.threadId, second.replica?.threadId, second.analytics.processId]).toEqual(
      ids,
    );
    expect(pool.idleCount).toBe(0);
    // The reused source session is still the read-only one.
    await expect(second.source?.execute('CREATE DATABASE etlt_pool_never')).rejects.toThrow();
    await pool.release(second, true);
  });

  it('closes the sessions of a task that failed instead of reusing them', async () => {
    newPool();
    const first = await pool.acquire(config, 'load', STAGES.load.roles);
    const replicaId = first.replica?.threadId;
    await pool.release(first, false);
    expect(pool.idleCount).toBe(0);
    const [row] = await admin.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?',
      [replicaId],
    );
    expect(Number(row?.n)).toBe(0);
    const second = await pool.acquire(config, 'load', STAGES.load.roles);
    expect(second.replica?.threadId).not.toBe(replicaId);
    await pool.release(second, true);
  });

  it('does not share sessions between stages (each carries its stage’s settings)', async () => {
    newPool();
    const extract = await pool.acquire(config, 'extract', STAGES.extract.roles);
    await pool.release(extract, true);
    const load = await pool.acquire(config, 'load', STAGES.load.roles);
    expect(load.replica?.threadId).not.toBe(extract.replica?.threadId);
    expect(load.source).toBeUndefined();
    await pool.release(load, true);
    expect(pool.idleCount).toBe(5);
  });

  it('replaces a pooled session the server dropped while it was idle', async () => {
    newPool();
    const first = await pool.acquire(config, 'load', STAGES.load.roles);
    const replicaId = first.replica?.threadId as number;
    const analyticsPid = first.analytics.processId as number;
    await pool.release(first, true);
    await admin.execute(`KILL CONNECTION ${replicaId}`);
    await pgAdmin.query('SELECT pg_terminate_backend($1)', [analyticsPid]);
    const second = await pool.acquire(config, 'load', STAGES.load.roles);
    expect(second.replica?.threadId).not.toBe(replicaId);
    expect(second.analytics.processId).not.toBe(analyticsPid);
    expect(await second.replica?.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    expect(await second.analytics.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await pool.release(second, true);
  });

  it('does not reuse a session idle for longer than maxIdleMs', async () => {
    newPool(1_000);
    const first = await pool.acquire(config, 'transform', STAGES.transform.roles);
    const pid = first.analytics.processId;
    await pool.release(first, true);
    clock = 1_001;
    const second = await pool.acquire(config, 'transform', STAGES.transform.roles);
    expect(second.analytics.processId).not.toBe(pid);
    await pool.release(second, true);
  });

  it('closes every idle session on close()', async () => {
    newPool();
    const first = await pool.acquire(config, 'transform', STAGES.transform.roles);
    const pid = first.analytics.processId;
    await pool.release(first, true);
    await pool.close();
    expect(pool.idleCount).toBe(0);
    const rows = await pgAdmin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    expect(rows).toHaveLength(0);
  });
});
