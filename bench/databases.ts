import { PipelineConfigSchema } from '../config/schema';
import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import { silentLogger } from '../core/logging/logger';
import {
  closeSessions,
  openStageSessions,
  type SessionsByRole,
} from '../core/pipeline/session-pool';
import { stageDependencies } from '../core/pipeline/stage-registry';

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

/** The pipeline configuration of the benchmark databases (every other setting at its default). */
export const BENCH_CONFIG = PipelineConfigSchema.parse({
  connections: {
    source: { ...LOCAL_MYSQL, database: BENCH_DB.source },
    replication: { ...LOCAL_MYSQL, database: BENCH_DB.replica },
    analytics: { ...LOCAL_PG, database: BENCH_DB.analytics },
  },
});

/** The stage sessions on the benchmark databases, and the extract and load dependencies over them. */
export async function openBenchStages() {
  const sessions = (await openStageSessions(BENCH_CONFIG, ['source', 'replica'])) as SessionsByRole;
  return {
    replica: sessions.replica,
    analytics: sessions.analytics,
    extract: stageDependencies.extract(BENCH_CONFIG, sessions, silentLogger),
    load: stageDependencies.load(BENCH_CONFIG, sessions, silentLogger),
    close: () => closeSessions(sessions),
  };
}
