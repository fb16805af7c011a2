import type { DiscoveredColumn, DiscoveredTable } from '../discovery/discover-schema';
import { quoteMysql } from './identifiers';
import { isBinary } from './row-sql';

/**
 * A row as one line of `LOAD DATA … FIELDS TERMINATED BY '\t' ESCAPED BY '\\'` text, built by the
 * server that reads it: MySQL and MariaDB escape and join the fields in C, so the client moves
 * one string per row instead of parsing, decoding and re-encoding every field (a CPU profile of
 * the full copy showed most of its client time there, and a third of it in garbage collection).
 *
 * - NULL is `\N`; text has backslash, tab, newline, carriage return and NUL escaped (backslash
 *   first); numbers, dates and times need no escaping.
 * - Binary columns (BLOB, BINARY, BIT) are hex, loaded back with `UNHEX()` (see
 *   `loadDataColumns`), as the client-side encoder did.
 * - FLOAT is read as DOUBLE (its text form is rounded to 6 digits).
 * - Text columns of different character sets cannot be concatenated as they are (illegal mix of
 *   collations): when a table mixes them, each is converted to utf8mb4 first. The line reaches
 *   the client in the connection's character set (utf8mb4) either way.
 */

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
const BACKSLASH = 92;

/** Character and its LOAD DATA escape, in the order the REPLACE chain applies them. */
const ESCAPES: readonly [string, string][] = [
  [chars(BACKSLASH), chars(BACKSLASH, BACKSLASH)],
  [chars(9), chars(BACKSLASH, 116)],
  [chars(10), chars(BACKSLASH, 110)],
  [chars(13), chars(BACKSLASH, 114)],
  [chars(0), chars(BACKSLASH, 48)],
];
const NULL_FIELD = chars(BACKSLASH, 78);

function escapedText(value: string): string {
  return ESCAPES.reduce((sql, [from, to]) => `REPLACE(${sql}, ${from}, ${to})`, value);
}

function field(column: DiscoveredColumn, unifyCharsets: boolean): string {
  const name = quoteMysql(column.name);
  let value: string;
  if (isBinary(column)) value = `HEX(${name})`;
  else if (column.dataType === 'float') value = `CAST(${name} AS DOUBLE)`;
  else if (TEXT_TYPES.has(column.dataType)) {
    const text =
      unifyCharsets && column.charset !== 'utf8mb4' ? `CONVERT(${name} USING utf8mb4)` : name;
    value = escapedText(text);
  } else value = name;
  return column.nullable ? `IFNULL(${value}, ${NULL_FIELD})` : value;
}

/** The SQL expression of a row's LOAD DATA line (without its newline). */
export function tsvLineExpression(table: Pick<DiscoveredTable, 'columns'>): string {
  const charsets = new Set(
    table.columns.filter((c) => TEXT_TYPES.has(c.dataType)).map((c) => c.charset),
  );
  const unify = charsets.size > 1;
  return `CONCAT_WS(${chars(9)}, ${table.columns.map((c) => field(c, unify)).join(', ')})`;
}

/**
 * The MD5 of a row's line as the client received it (in utf8mb4): computed on the replica's
 * copy, it equals the MD5 of the bytes read from the source exactly when the copy holds the
 * text read.
 */
export function tsvLineHashExpression(table: Pick<DiscoveredTable, 'columns'>): string {
  return `MD5(CONVERT(${tsvLineExpression(table)} USING utf8mb4))`;
}
