import { quoteMysql } from '../db/identifiers';
import type { DiscoveredColumn } from '../discovery/discover-schema';
import type { RawColumn } from './type-mapping';

/**
 * A row as one value built by MariaDB/MySQL: every field's text (as mysql2 would hand it to the
 * Node encoder) joined by the byte 0xFF, NULL written as the byte 0xFE. Neither byte occurs in
 * UTF-8 text, in numbers, dates or hex, so `copy-line-bytes.ts` finds the fields without any
 * escaping in SQL, and turns the row into the COPY line `copy-encoder.ts` would build.
 *
 * This is cheaper than mysql2 parsing every field into a JS value (a string per value, most of
 * them promoted to the old generation): per row, one value reaches Node. The server's work is
 * what sending the fields would cost it anyway; escaping and the date checks in SQL cost it more
 * than they cost the Node byte loop (measured: docs/benchmarks.md).
 */

export const FIELD_SEPARATOR = 0xff;
export const NULL_MARK = 0xfe;

/** How the byte loop treats a field. */
export const FieldKind = {
  /** Copied as is: numbers, times, years, and what SQL already escaped (bytea, bit, set). */
  verbatim: 0,
  /** UTF-8 text: COPY escaping, NUL characters removed and counted. */
  text: 1,
  /** A date or datetime: NULL (counted) unless PostgreSQL accepts it. */
  date: 2,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** Column types whose text in SQL is exactly what mysql2 hands the Node encoder. */
const ROW_TEXT_TYPES = new Set([
  ...['bigint', 'int', 'integer', 'mediumint', 'smallint', 'tinyint'],
  ...['double', 'real', 'float', 'decimal', 'numeric'],
  ...['date', 'datetime', 'timestamp', 'time', 'year'],
  ...['varchar', 'char', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set'],
  ...['bit', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'binary', 'varbinary'],
]);

/** Character sets whose bytes are already the UTF-8 that mysql2 would receive. */
const UTF8_CHARSETS = new Set(['utf8', 'utf8mb3', 'utf8mb4']);

/** Whether every column has an exact row-text form (otherwise the table uses the Node encoder). */
export function canReadRowText(columns: readonly DiscoveredColumn[]): boolean {
  return columns.every((c) => ROW_TEXT_TYPES.has(c.dataType));
}

/** A hex literal of a UTF-8 string: its meaning depends on no `sql_mode` or collation. */
export function hexLiteral(text: string): string {
  return text === '' ? "''" : `X'${Buffer.from(text, 'utf8').toString('hex').toUpperCase()}'`;
}

function replaceAll(expression: string, pairs: readonly (readonly [string, string])[]): string {
  return pairs.reduce(
    (inner, [from, to]) => `REPLACE(${inner}, ${hexLiteral(from)}, ${hexLiteral(to)})`,
    expression,
  );
}

/** The column's text as UTF-8 bytes (binary, so that 0xFE/0xFF can join it). */
function utf8Bytes(column: DiscoveredColumn): string {
  const name = quoteMysql(column.name);
  const utf8 = UTF8_CHARSETS.has(column.charset ?? '') ? name : `CONVERT(${name} USING utf8mb4)`;
  return `CAST(${utf8} AS BINARY)`;
}

/** One field: the value's text, in the form the byte loop expects for its kind. */
function fieldText(raw: RawColumn, column: DiscoveredColumn): string {
  const name = quoteMysql(column.name);
  switch (raw.kind) {
    case 'text':
      return utf8Bytes(column);
    case 'float':
      // FLOAT's own text form is rounded to 6 digits; as DOUBLE it is exact (as `selectList`).
      return raw.pgType === 'real' ? `CAST(${name} AS DOUBLE)` : name;
    case 'bytea':
      // Already COPY text: `\\x` then hex.
      return `CONCAT(${hexLiteral('\\\\x')}, LOWER(HEX(${name})))`;
    case 'bit':
      return `LPAD(BIN(${name} + 0), ${raw.bits ?? 1}, '0')`;
    case 'set': {
      // `{"a","b"}`, members escaped for an array literal, then for COPY (as `encodeSet`).
      const members = replaceAll(utf8Bytes(column), [
        ['\\', '\\\\'],
        ['"', '\\"'],
        [',', '","'],
      ]);
      const literal = `IF(LENGTH(${name}) = 0, ${hexLiteral('{}')}, CONCAT(${hexLiteral('{"')}, ${members}, ${hexLiteral('"}')}))`;
      return replaceAll(literal, [
        ['\\', '\\\\'],
        ['\t', '\\t'],
        ['\n', '\\n'],
        ['\r', '\\r'],
      ]);
    }
    case 'year':
      // Its value as a number, as mysql2 hands it over (`0`, not the server's text `0000`).
      return `(${name} + 0)`;
    default:
      // integer, decimal, date, datetime (checked in Node), time (interval input accepts
      // `-838:59:59`).
      return name;
  }
}

export function fieldKind(raw: RawColumn): FieldKind {
  if (raw.kind === 'text') return FieldKind.text;
  if (raw.kind === 'date' || raw.kind === 'datetime') return FieldKind.date;
  return FieldKind.verbatim;
}

/** The SQL expression of a row's text (columns: the table's, and their raw mapping, in order). */
export function rowTextExpression(
  table: readonly DiscoveredColumn[],
  columns: readonly RawColumn[],
): string {
  const fields = columns.map((raw, i) => {
    const column = table[i] as DiscoveredColumn;
    const text = fieldText(raw, column);
    return column.nullable ? `IFNULL(${text}, X'FE')` : text;
  });
  return `CONCAT_WS(X'FF', ${fields.join(', ')})`;
}
