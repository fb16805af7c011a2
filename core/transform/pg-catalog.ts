import type { PgSession } from '../db/ports';
import type { RawCatalogColumn } from './rules/registry';

/** A table's columns as PostgreSQL's catalog has them, in order, with their comments. */
export async function catalogColumns(
  pg: PgSession,
  schema: string,
  table: string,
): Promise<RawCatalogColumn[]> {
  return pg.query<RawCatalogColumn>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, col_description(c.oid, a.attnum) AS comment
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
}

export async function primaryKeyOf(
  pg: PgSession,
  schema: string,
  table: string,
): Promise<string[]> {
  const rows = await pg.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      WHERE i.indisprimary AND n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}

/** The type of one column, as format_type() prints it (null when there is no such column). */
export async function columnType(
  pg: PgSession,
  schema: string,
  table: string,
  column: string,
): Promise<string | null> {
  const [row] = await pg.query<{ t: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3`,
    [schema, table, column],
  );
  return row?.t ?? null;
}
