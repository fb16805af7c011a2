import {
  type ConnectionConfig,
  type PipelineConfig,
  PipelineConfigSchema,
} from '../../config/schema';
import { quoteMysql } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import type { MysqlSession } from '../../core/db/ports';
import type { ExtractDeps } from '../../core/extract/extract-table';
import { memoryLogger } from '../../core/logging/logger';
import { stageDependencies } from '../../core/pipeline/stage-registry';

/**
 * The local servers of this machine (see DEVELOPERS/README). Integration tests create their own
 * databases with a per-file prefix and drop them afterwards, so they can run beside anything else.
 */
export const LOCAL_MYSQL: ConnectionConfig = {
  host: process.env.TEST_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_MYSQL_PORT ?? 3306),
  database: 'mysql',
  user: process.env.TEST_MYSQL_USER ?? 'root',
  password: process.env.TEST_MYSQL_PASSWORD ?? '',
  tls: false,
  connect_timeout_seconds: 10,
};

export const LOCAL_PG = {
  host: process.env.TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.TEST_PG_PORT ?? 5432),
  database: 'postgres',
  user: process.env.TEST_PG_USER ?? 'postgres',
  password: process.env.TEST_PG_PASSWORD ?? '',
  tls: false as const,
  connect_timeout_seconds: 10,
};

/** A database name unique to this test file and process: `etlt_<tag>_<pid>`. */
export function testDatabaseName(tag: string): string {
  return `etlt_${tag}_${process.pid}`;
}

/** An admin session (no database selected, LOCAL INFILE allowed) for set-up and checks. */
export function adminMysql(): Promise<MysqlSession> {
  return openMysql(LOCAL_MYSQL, {
    label: 'test-admin',
    readOnly: false,
    localInfile: true,
    database: null,
  });
}

export async function dropMysqlDatabases(session: MysqlSession, ...names: string[]): Promise<void> {
  for (const name of names) await session.execute(`DROP DATABASE IF EXISTS ${quoteMysql(name)}`);
}

/** A read-only source session and a replica writer session on the local MariaDB. */
export async function openSourceAndReplica(sourceDb: string, replicaDb: string) {
  const source = await openMysql(
    { ...LOCAL_MYSQL, database: sourceDb },
    { label: 'source', readOnly: true },
  );
  const replica = await openMysql(
    { ...LOCAL_MYSQL, database: replicaDb },
    { label: 'replication', readOnly: false, localInfile: true },
  );
  return { source, replica };
}

/**
 * The tables whose rows differ between two databases, by `CHECKSUM TABLE … EXTENDED`. That sum
 * reads stored row bytes, which for some types (BIT, for one) depend on the engine: where the sums
 * of a MyISAM and an InnoDB table differ, `b`'s table is copied into a scratch table of `a`'s
 * engine inside the server (values unchanged) and compared again, so only real differences count.
 */
export async function differingChecksums(
  admin: MysqlSession,
  a: string,
  b: string,
  tables: readonly string[],
): Promise<string[]> {
  const sums = async (pairs: [string, string][]) => {
    const rows = await admin.query<{ Table: string; Checksum: string | number | null }>(
      `CHECKSUM TABLE ${pairs.map(([db, t]) => `${quoteMysql(db)}.${quoteMysql(t)}`).join(', ')} EXTENDED`,
    );
    return new Map(rows.map((r) => [r.Table, String(r.Checksum)]));
  };
  const of = (db: string, t: string) => `${db}.${t}`;
  const first = await sums(
    tables.flatMap((t) => [[a, t] as [string, string], [b, t] as [string, string]]),
  );
  const suspects = tables.filter(
    (t) => first.get(of(a, t)) !== first.get(of(b, t)) || first.get(of(a, t)) === 'null',
  );
  if (suspects.length === 0) return [];
  const scratch = `${b}_cmp`.slice(0, 64);
  await admin.execute(`CREATE DATABASE IF NOT EXISTS ${quoteMysql(scratch)}`);
  const differing: string[] = [];
  try {
    await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
    for (const t of suspects) {
      const [engine] = await admin.queryArrays(
        'SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [a, t],
      );
      if (!engine) {
        differing.push(t);
        continue;
      }
      const copy = `${quoteMysql(scratch)}.${quoteMysql(t)}`;
      await admin.execute(`DROP TABLE IF EXISTS ${copy}`);
      await admin.execute(`CREATE TABLE ${copy} LIKE ${quoteMysql(b)}.${quoteMysql(t)}`);
      await admin.execute(`ALTER TABLE ${copy} ENGINE = ${String(engine[0])}`);
      await admin.execute(`INSERT INTO ${copy} SELECT * FROM ${quoteMysql(b)}.${quoteMysql(t)}`);
      const again = await sums([
        [a, t],
        [scratch, t],
      ]);
      if (again.get(of(a, t)) !== again.get(of(scratch, t))) differing.push(t);
    }
  } finally {
    await admin.execute(`DROP DATABASE IF EXISTS ${quoteMysql(scratch)}`);
  }
  return differing;
}

/**
 * A session that runs `before(sql)` ahead of every statement: the hook tests use to inject faults
 * (kill the connection) or concurrent work (a clinic writing during a copy) at a chosen call.
 */
export function beforeEachCall(
  session: MysqlSession,
  before: (sql: string) => Promise<void>,
): MysqlSession {
  return {
    get threadId() {
      return session.threadId;
    },
    async query(sql, params) {
      await before(sql);
      return session.query(sql, params);
    },
    async queryArrays(sql, params) {
      await before(sql);
      return session.queryArrays(sql, params);
    },
    async queryArraysAsBuffers(sql, params) {
      await before(sql);
      return session.queryArraysAsBuffers(sql, params);
    },
    async execute(sql, params) {
      await before(sql);
      return session.execute(sql, params);
    },
    async loadDataLocal(sql, source) {
      await before(sql);
      return session.loadDataLocal(sql, source);
    },
    stream: (sql, params, options) => session.stream(sql, params, options),
    close: () => session.close(),
  } as MysqlSession;
}

/**
 * Fault injection with a real server-side kill: on the `nth` call whose SQL matches `pattern`, the
 * server `KILL CONNECTION`s the session first, so that call (and the stage using it) meets a
 * genuinely dropped connection.
 */
export function killOnCall(
  session: MysqlSession,
  killer: MysqlSession,
  pattern: RegExp,
  nth: number,
): MysqlSession {
  let seen = 0;
  return beforeEachCall(session, async (sql) => {
    if (pattern.test(sql) && ++seen === nth)
      await killer.execute(`KILL CONNECTION ${Number(session.threadId)}`);
  });
}

/**
 * The pipeline configuration of a test's own databases on the local servers, as a run would load
 * it (every other setting at its default).
 */
export function testPipelineConfig(
  names: { source: string; replica: string; analytics?: string },
  options: { batchSize?: number } = {},
): PipelineConfig {
  return PipelineConfigSchema.parse({
    connections: {
      source: { ...LOCAL_MYSQL, database: names.source },
      replication: { ...LOCAL_MYSQL, database: names.replica },
      analytics: { ...LOCAL_PG, database: names.analytics ?? 'postgres' },
    },
    general: { batch_size: options.batchSize ?? 5000 },
  });
}

/** The extract stage's dependencies on a test's own source and replica databases. */
export async function openExtractDeps(
  sourceDb: string,
  replicaDb: string,
  batchSize: number,
): Promise<ExtractDeps> {
  const config = testPipelineConfig({ source: sourceDb, replica: replicaDb }, { batchSize });
  return stageDependencies.extract(
    config,
    await openSourceAndReplica(sourceDb, replicaDb),
    memoryLogger(),
  );
}

export async function closeExtractDeps(deps: ExtractDeps | undefined): Promise<void> {
  await deps?.source.close().catch(() => {});
  await deps?.replica.close().catch(() => {});
}
