import type { ConnectionConfig } from '../../config/schema';
import { quoteMysql } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import type { MysqlSession } from '../../core/db/ports';

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

/** `CHECKSUM TABLE … EXTENDED` of each table in two databases: the tables whose sums differ. */
export async function differingChecksums(
  admin: MysqlSession,
  a: string,
  b: string,
  tables: readonly string[],
): Promise<string[]> {
  const sums = async (db: string) => {
    const rows = await admin.query<{ Table: string; Checksum: string | number | null }>(
      `CHECKSUM TABLE ${tables.map((t) => `${quoteMysql(db)}.${quoteMysql(t)}`).join(', ')} EXTENDED`,
    );
    return new Map(rows.map((r) => [r.Table.slice(db.length + 1), String(r.Checksum)]));
  };
  const [x, y] = [await sums(a), await sums(b)];
  return tables.filter((t) => x.get(t) !== y.get(t) || x.get(t) === 'null');
}
