import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import type { ExtractDeps } from '../core/extract/extract-table';
import type { LoadDeps } from '../core/load/load-table';
import { silentLogger } from '../core/logging/logger';

/** Databases the benchmarks create on the local servers (never the demo's or a clinic's). */
export const BENCH_DB = {
  source: 'etl_bench_source',
  replica: 'etl_bench_replica',
  dump: 'etl_bench_dump',
  analytics: 'etl_bench_analytics',
  pgloader: 'etl_bench_pgloader',
};

/** The local servers of this machine kind. */
export const LOCAL_MYSQL = {
  host: '127.0.0.1',
  port: 3306,
  user: 'root',
  password: '',
  tls: false as const,
  connect_timeout_seconds: 10,
};
export const LOCAL_PG = { ...LOCAL_MYSQL, port: 5432, user: 'postgres' };

/** Admin sessions: MariaDB without a database (LOCAL INFILE allowed), PostgreSQL on `postgres`. */
export async function openAdmins() {
  const mysql = await openMysql(
    { ...LOCAL_MYSQL, database: 'mysql' },
    { label: 'bench', readOnly: false, localInfile: true, database: null },
  );
  const pg = await openPg({ ...LOCAL_PG, database: 'postgres' }, { label: 'bench' });
  return { mysql, pg, close: () => Promise.all([mysql.close(), pg.close()]) };
}

/** The stage sessions on the benchmark databases, and the extract and load dependencies over them. */
export async function openBenchStages() {
  const source = await openMysql(
    { ...LOCAL_MYSQL, database: BENCH_DB.source },
    { label: 'source', readOnly: true },
  );
  const replica = await openMysql(
    { ...LOCAL_MYSQL, database: BENCH_DB.replica },
    { label: 'replication', readOnly: false, localInfile: true },
  );
  const analytics = await openPg(
    { ...LOCAL_PG, database: BENCH_DB.analytics },
    { label: 'analytics' },
  );
  const extract: ExtractDeps = {
    source,
    replica,
    sourceDatabase: BENCH_DB.source,
    replicaDatabase: BENCH_DB.replica,
    settings: { batchSize: 5000, overlapMinutes: 5, reconcileEveryRuns: 7 },
    logger: silentLogger,
  };
  const load: LoadDeps = {
    replica,
    analytics,
    replicaDatabase: BENCH_DB.replica,
    schemas: { raw: 'raw', meta: 'etl_meta' },
    settings: { batchSize: 5000 },
    logger: silentLogger,
  };
  return {
    replica,
    analytics,
    extract,
    load,
    close: () => Promise.all([source.close(), replica.close(), analytics.close()]),
  };
}
