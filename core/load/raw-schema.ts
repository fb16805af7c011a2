import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import type { DiscoveredColumn } from '../discovery/discover-schema';
import { ETL_COLUMNS, rawColumnComment } from '../handoff/raw-columns';
import type { RawColumn } from './type-mapping';

/** A raw table's columns as PostgreSQL's catalog has them (name → format_type). */
export async function readRawColumns(
  pg: PgSession,
  schema: string,
  table: string,
): Promise<{ name: string; type: string }[]> {
  return pg.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [schema, table],
  );
}

/** CREATE TABLE and its column comments (source name and MySQL type of every column). */
export function createRawTable(
  schema: string,
  table: string,
  columns: readonly RawColumn[],
): string[] {
  const definitions = [
    ...columns.map((c) => `${quotePg(c.name)} ${c.pgType}`),
    ...ETL_COLUMNS.map((c) => `${quotePg(c.name)} ${c.pgType}`),
  ];
  const qualified = `${quotePg(schema)}.${quotePg(table)}`;
  return [
    `CREATE TABLE ${qualified} (${definitions.join(', ')})`,
    ...columns.map((c) => commentOn(qualified, c)),
  ];
}

function commentOn(qualified: string, column: RawColumn): string {
  return `COMMENT ON COLUMN ${qualified}.${quotePg(column.name)} IS '${rawColumnComment(column).replaceAll("'", "''")}'`;
}

/**
 * How raw must change to match the replica:
 * - `none`; `create` (no raw table yet);
 * - `add`: the replica has new columns: added in place (at the end of the raw table: raw is
 *   addressed by column name, never by position), each with the replica column's default so
 *   rows the extract did not touch hold the same value as in the replica;
 * - `reload`: anything else (a type changed, a column dropped): full load through the shadow swap.
 */
export type RawSchemaPlan =
  | { action: 'none' }
  | { action: 'create' }
  | { action: 'add'; statements: string[]; columns: string[] }
  | { action: 'reload'; reason: string };

export function planRawSchema(options: {
  schema: string;
  table: string;
  /** The raw columns the type mapping gives the replica's columns. */
  expected: readonly RawColumn[];
  replicaColumns: readonly DiscoveredColumn[];
  /** raw's columns now (none: no raw table yet). */
  actual: readonly { name: string; type: string }[];
}): RawSchemaPlan {
  const { schema, table, expected, replicaColumns, actual } = options;
  if (actual.length === 0) return { action: 'create' };
  const data = actual.filter((c) => !c.name.startsWith('_etl_'));
  const expectedByName = new Map(expected.map((c) => [c.name, c]));
  for (const column of data) {
    const want = expectedByName.get(column.name);
    if (!want)
      return { action: 'reload', reason: `column ${column.name} is gone from the replica` };
    if (want.pgType !== column.type) {
      return {
        action: 'reload',
        reason: `column ${column.name} changed type (${column.type} → ${want.pgType})`,
      };
    }
  }
  const missing = expected.filter((c) => !data.some((d) => d.name === c.name));
  if (missing.length === 0) return { action: 'none' };
  const statements = missing.map((c) => {
    const source = replicaColumns.find((r) => r.name === c.source);
    const fallback = source ? pgDefault(source.default, c) : null;
    return `ALTER TABLE ${quotePg(schema)}.${quotePg(table)} ADD COLUMN ${quotePg(c.name)} ${c.pgType}${fallback === null ? '' : ` DEFAULT ${fallback}`}`;
  });
  statements.push(...missing.map((c) => commentOn(`${quotePg(schema)}.${quotePg(table)}`, c)));
  return { action: 'add', statements, columns: missing.map((c) => c.name) };
}

/**
 * A replica column default (as information_schema prints it: `'text'`, `0`, `NULL`,
 * `current_timestamp()`) as a PostgreSQL literal, or null for none. Expression defaults give
 * none: rows whose value the expression set differ from the source's and are logged by the extract.
 */
export function pgDefault(mysqlDefault: string | null, column: RawColumn): string | null {
  if (mysqlDefault === null || mysqlDefault.toUpperCase() === 'NULL') return null;
  let value: string;
  if (/^'.*'$/s.test(mysqlDefault))
    value = mysqlDefault.slice(1, -1).replaceAll("''", "'").replaceAll('\\\\', '\\');
  else if (/^-?[\d.]+(e[-+]?\d+)?$/i.test(mysqlDefault)) value = mysqlDefault;
  else return null;
  if ((column.kind === 'date' || column.kind === 'datetime') && /^0000|-00/.test(value))
    return null;
  if (column.kind === 'bytea' || column.kind === 'bit' || column.kind === 'set') return null;
  return `'${value.replaceAll("'", "''")}'::${column.pgType}`;
}
