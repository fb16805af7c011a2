import type { DiscoveredColumn, DiscoveredTable } from '../discovery/discover-schema';
import { quoteMysql } from './identifiers';
import { isBinary } from './row-sql';

/**
 * A row as one line of LOAD DATA text in `LOAD_DATA_FORMAT`, built by the server that reads it:
 * MySQL and MariaDB quote and join the fields in C, so the client moves one string per row
 * instead of parsing, decoding and re-encoding every field (a CPU profile of the full copy showed
 * most of its client time there, and a third of it in garbage collection).
 *
 * - Text is `QUOTE()`d: enclosed in single quotes with backslash, quote, NUL and Ctrl-Z escaped,
 *   and NULL as the bare word NULL, which LOAD DATA reads back exactly (tabs and newlines may
 *   stand inside the quotes). One pass per value: a chain of five REPLACE()s took 1.6-2x as long
 *   on the clinic's sheetfield.
 * - Other NULLs are `\N`; numbers, dates and times need no escaping.
 * - Binary columns (BLOB, BINARY, BIT) are hex, loaded back with `UNHEX()` (see
 *   `loadDataColumns`), as the client-side encoder did.
 * - FLOAT is read as DOUBLE (its text form is rounded to 6 digits).
 * - Text columns of different character sets cannot be concatenated as they are (illegal mix of
 *   collations): when a table mixes them, each is converted to utf8mb4 first. The line reaches
 *   the client in the connection's character set (utf8mb4) either way.
 */

/** The field and line format of the lines, for the LOAD DATA statement that reads them. */
export const LOAD_DATA_FORMAT = String.raw`FIELDS TERMINATED BY '\t' OPTIONALLY ENCLOSED BY '''' ESCAPED BY '\\' LINES TERMINATED BY '\n'`;

const TEXT_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'json',
]);

/** A string of these byte codes: no backslash literal, so any `sql_mode` reads it alike. */
const chars = (...codes: number[]) => `CHAR(${codes.join(', ')} USING utf8mb4)`;
const TAB = chars(9);
const NULL_FIELD = chars(92, 78);

function field(column: DiscoveredColumn, unifyCharsets: boolean): string {
  const name = quoteMysql(column.name);
  if (TEXT_TYPES.has(column.dataType)) {
    const text =
      unifyCharsets && column.charset !== 'utf8mb4' ? `CONVERT(${name} USING utf8mb4)` : name;
    return `QUOTE(${text})`;
  }
  const value = isBinary(column)
    ? `HEX(${name})`
    : column.dataType === 'float'
      ? `CAST(${name} AS DOUBLE)`
      : name;
  return column.nullable ? `IFNULL(${value}, ${NULL_FIELD})` : value;
}

/** The SQL expression of a row's LOAD DATA line (without its newline). */
export function tsvLineExpression(table: Pick<DiscoveredTable, 'columns'>): string {
  const charsets = new Set(
    table.columns.filter((c) => TEXT_TYPES.has(c.dataType)).map((c) => c.charset),
  );
  const unify = charsets.size > 1;
  return `CONCAT_WS(${TAB}, ${table.columns.map((c) => field(c, unify)).join(', ')})`;
}

/**
 * The MD5 of a row's line as the client received it (in utf8mb4): computed on the replica's
 * copy, it equals the MD5 of the bytes read from the source exactly when the copy holds the
 * text read.
 */
export function tsvLineHashExpression(table: Pick<DiscoveredTable, 'columns'>): string {
  return `MD5(CONVERT(${tsvLineExpression(table)} USING utf8mb4))`;
}
