import { PipelineConfigSchema } from '../config/schema';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../core/db/ports';
import { silentLogger } from '../core/logging/logger';
import {
  closeSessions,
  openStageSessions,
  type SessionsByRole,
} from '../core/pipeline/session-pool';
import { stageDependencies } from '../core/pipeline/stage-registry';

/**
 * Every database a benchmark creates is named `<BENCH_PREFIX>_…` (default `etl_bench`), so two
 * benches can share the servers: `BENCH_PREFIX=etl_benchfix npm run bench -- …`.
 */
export const BENCH_PREFIX = benchPrefix(process.env.BENCH_PREFIX);

export function benchPrefix(value: string | undefined): string {
  const prefix = value || 'etl_bench';
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error('BENCH_PREFIX must be a lowercase identifier (letters, digits, _)');
  return prefix;
}

/** Databases the benchmarks create on the local servers (never the demo's or a clinic's). */
export const BENCH_DB = {
  source: `${BENCH_PREFIX}_source`,
  /** The same tables as `source`, converted to InnoDB (the extract's second source engine). */
  sourceInnodb: `${BENCH_PREFIX}_source_innodb`,
  replica: `${BENCH_PREFIX}_replica`,
  dump: `${BENCH_PREFIX}_dump`,
  analytics: `${BENCH_PREFIX}_analytics`,
  pgloader: `${BENCH_PREFIX}_pgloader`,
  seed: `${BENCH_PREFIX}_seed`,
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

/**
 * The pipeline configuration of the benchmark databases (every other setting at its default),
 * extracting from `source` (the MyISAM source by default, or its InnoDB copy).
 */
export function benchConfig(source: string = BENCH_DB.source) {
  return PipelineConfigSchema.parse({
    connections: {
      source: { ...LOCAL_MYSQL, database: source },
      replication: { ...LOCAL_MYSQL, database: BENCH_DB.replica },
      analytics: { ...LOCAL_PG, database: BENCH_DB.analytics },
    },
  });
}
export const BENCH_CONFIG = benchConfig();

/**
 * The stage sessions on the benchmark databases, and the extract and load dependencies over them
 * (extracting from `source`).
 */
export async function openBenchStages(source: string = BENCH_DB.source) {
  const config = benchConfig(source);
  const sessions = (await openStageSessions(config, ['source', 'replica'])) as SessionsByRole;
  return {
    replica: sessions.replica,
    analytics: sessions.analytics,
    extract: stageDependencies.extract(config, sessions, silentLogger),
    load: stageDependencies.load(config, sessions, silentLogger),
    close: () => closeSessions(sessions),
  };
}

/** Drops (when present) and creates a MariaDB database. */
export async function freshMysqlDb(admin: MysqlSession, name: string): Promise<void> {
  await admin.execute(`DROP DATABASE IF EXISTS ${quoteMysql(name)}`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(name)}`);
}

/** Drops (when present, ending its sessions) and creates a PostgreSQL database. */
export async function freshPgDb(pgAdmin: PgSession, name: string): Promise<void> {
  await dropPgDb(pgAdmin, name);
  await pgAdmin.query(`CREATE DATABASE ${quotePg(name)}`);
}

export async function dropPgDb(pgAdmin: PgSession, name: string): Promise<void> {
  await pgAdmin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(name)}`);
}
