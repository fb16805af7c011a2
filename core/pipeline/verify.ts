import type { PipelineConfig } from '../../config/schema';
import { quotePg } from '../db/identifiers';
import { openMysql } from '../db/mysql-adapter';
import { openPg } from '../db/pg-adapter';
import type { MysqlSession, PgSession } from '../db/ports';
import { countRows } from '../db/table-reader';
import { discoverSchema, keyColumn } from '../discovery/discover-schema';
import { reconcileTable } from '../extract/reconcile';
import { readAllVerifyStates } from '../extract/verify-state';

export interface TableVerification {
  table: string;
  source: number;
  replica: number | null;
  raw: number | null;
  public: number | null;
  /** Source vs replica, by range checksums (same engine, so exact); n/a without a single key. */
  checksum: 'equal' | 'differs' | 'n/a';
  ok: boolean;
  /** When the nightly comparison last covered the whole table (replica clock, UTC; null: never). */
  lastFullyVerified: string | null;
  /** Nights a whole comparison takes at the table's share of the budget (1: every night). */
  staleBoundNights: number | null;
}

/**
 * "Is my warehouse right?": per table, row counts of source, replica, raw and public, and the
 * source and replica compared by range checksums. Read-only everywhere; reads the source in short
 * key-range statements.
 */
export async function verifyTables(
  config: PipelineConfig,
  sessions: { source: MysqlSession; replica: MysqlSession; analytics: PgSession },
  tables?: readonly string[],
): Promise<TableVerification[]> {
  const { source, replication, analytics } = config.connections;
  const discovered = (await discoverSchema(sessions.source, source.database, tables)).tables;
  const verified = new Map(
    (await readAllVerifyStates(sessions.replica)).map((v) => [v.table_name, v]),
  );
  const inReplica = new Set(
    (await discoverSchema(sessions.replica, replication.database, tables)).tables.map(
      (t) => t.name,
    ),
  );
  const pgCount = async (schema: string, table: string) => {
    const [exists] = await sessions.analytics.query<{ t: string | null }>(
      'SELECT to_regclass($1)::text AS t',
      [`${quotePg(schema)}.${quotePg(table)}`],
    );
    if (!exists?.t) return null;
    const [row] = await sessions.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quotePg(schema)}.${quotePg(table)}`,
    );
    return Number(row?.n);
  };
  const out: TableVerification[] = [];
  for (const table of discovered) {
    const sourceRows = await countRows(sessions.source, table.name);
    const replicaRows = inReplica.has(table.name)
      ? await countRows(sessions.replica, table.name)
      : null;
    let checksum: TableVerification['checksum'] = 'n/a';
    if (replicaRows !== null && keyColumn(table)) {
      const outcome = await reconcileTable({
        source: sessions.source,
        replica: sessions.replica,
        table,
        target: table.name,
        rowsPerRange: config.general.batch_size * 10,
        dryRun: true,
        log: null,
        transaction: (work) => work(),
      });
      checksum = outcome.rangesDiffering === 0 ? 'equal' : 'differs';
    }
    const name = table.name.toLowerCase();
    const rawRows = await pgCount(analytics.schemas.raw, name);
    const publicRows = await pgCount(analytics.schemas.public, name);
    out.push({
      table: table.name,
      source: sourceRows,
      replica: replicaRows,
      raw: rawRows,
      public: publicRows,
      checksum,
      ok:
        replicaRows === sourceRows &&
        rawRows === sourceRows &&
        publicRows === sourceRows &&
        checksum !== 'differs',
      lastFullyVerified: verified.get(table.name)?.verified_at ?? null,
      staleBoundNights: verified.get(table.name)?.bound_nights ?? null,
    });
  }
  return out;
}

/** `verifyTables` with its own read-only sessions, opened for the check and closed after it. */
export async function verifyPipeline(
  config: PipelineConfig,
  tables?: readonly string[],
): Promise<TableVerification[]> {
  const { connections } = config;
  const opened: { close(): Promise<void> }[] = [];
  const track = async <T extends { close(): Promise<void> }>(session: Promise<T>): Promise<T> => {
    const s = await session;
    opened.push(s);
    return s;
  };
  try {
    const source = await track(openMysql(connections.source, { label: 'source', readOnly: true }));
    const replica = await track(
      openMysql(connections.replication, { label: 'replication', readOnly: true }),
    );
    const analytics = await track(openPg(connections.analytics, { label: 'analytics' }));
    return await verifyTables(config, { source, replica, analytics }, tables);
  } finally {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
  }
}
