import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { setUpOnce } from '../db/schema-setup';
import type { ChangeEntry, ChangeLogReader } from './change-log';

/**
 * `etl_meta.raw_changelog`: raw's own change tracking, written by the load in the transaction
 * that changed raw (`U` for each key whose row was inserted or actually changed, `D` for each
 * deleted key, `F` after a full load) and applied by the transform past its own cursor.
 */
export const RAW_CHANGELOG = 'raw_changelog';

/** The qualified name of the raw change log in schema `meta`. */
export function rawChangeLogTable(meta: string): string {
  return `${quotePg(meta)}.${RAW_CHANGELOG}`;
}

export async function ensureRawChangeLog(pg: PgSession, meta: string): Promise<void> {
  await setUpOnce(pg, `raw-changelog:${meta}`, [
    `CREATE SCHEMA IF NOT EXISTS ${quotePg(meta)}`,
    `CREATE TABLE IF NOT EXISTS ${rawChangeLogTable(meta)} (
       seq bigserial PRIMARY KEY,
       table_name text NOT NULL,
       op char(1) NOT NULL,
       pk text,
       run_id text NOT NULL,
       logged_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE INDEX IF NOT EXISTS raw_changelog_table_seq ON ${rawChangeLogTable(meta)} (table_name, seq)`,
  ]);
}

/** Logs a full reload of `table`; call in the transaction that swapped it in. */
export async function logRawFullRefresh(
  pg: PgSession,
  meta: string,
  table: string,
  runId: string,
): Promise<void> {
  await pg.query(
    `INSERT INTO ${rawChangeLogTable(meta)} (table_name, op, pk, run_id) VALUES ($1, 'F', NULL, $2)`,
    [table, runId],
  );
}

/** The transform's reader of the raw change log. */
export function rawChangeLog(pg: PgSession, meta: string): ChangeLogReader {
  const log = rawChangeLogTable(meta);
  return {
    async head(table) {
      const [row] = await pg.query<{ seq: string }>(
        `SELECT COALESCE(max(seq), 0)::text AS seq FROM ${log} WHERE table_name = $1`,
        [table],
      );
      return row?.seq ?? '0';
    },
    async hasFullRefresh(table, after, upTo) {
      const [row] = await pg.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${log} WHERE table_name = $1 AND op = 'F' AND seq > $2 AND seq <= $3) AS found`,
        [table, after, upTo],
      );
      return row?.found === true;
    },
    entries(table, after, upTo, limit) {
      return pg.query<ChangeEntry>(
        // Ordered by the bigint column, not by the text it is returned as (`ORDER BY seq` would
        // sort the output's text alias: 10000 before 9999).
        `SELECT l.seq::text AS seq, l.op, l.pk FROM ${log} l
          WHERE l.table_name = $1 AND l.seq > $2 AND l.seq <= $3 ORDER BY l.seq LIMIT ${Number(limit)}`,
        [table, after, upTo],
      );
    },
    async prune(table, upTo) {
      await pg.query(`DELETE FROM ${log} WHERE table_name = $1 AND seq <= $2`, [table, upTo]);
    },
  };
}
