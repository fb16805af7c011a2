import { quoteMysql } from '../db/identifiers';
import type { DiscoveredColumn, DiscoveredTable } from '../discovery/discover-schema';

/**
 * SQL fragments for reading rows exactly and comparing them by hash. The same expressions run on
 * the source and on the replica (same engine, same column types), so equal rows hash equally.
 */

const BINARY_TYPES = new Set([
  'blob',
  'tinyblob',
  'mediumblob',
  'longblob',
  'binary',
  'varbinary',
  'bit',
]);

export function isBinary(column: DiscoveredColumn): boolean {
  return BINARY_TYPES.has(column.dataType);
}

/** FLOAT's text form is rounded to 6 digits; its value as DOUBLE is exact. */
function exactValue(column: DiscoveredColumn): string {
  const name = quoteMysql(column.name);
  return column.dataType === 'float' ? `CAST(${name} AS DOUBLE)` : name;
}

/** The select list that returns every column exactly, in table order, under its own name. */
export function selectList(table: DiscoveredTable): string {
  return table.columns
    .map((c) =>
      c.dataType === 'float' ? `${exactValue(c)} AS ${quoteMysql(c.name)}` : quoteMysql(c.name),
    )
    .join(', ');
}

/** MD5 of a row's values and NULL flags (NULL and '' differ; column boundaries are kept). */
export function rowHashExpression(table: DiscoveredTable): string {
  const values = table.columns.map(exactValue);
  const nulls = table.columns.map((c) => `ISNULL(${quoteMysql(c.name)})`);
  return `MD5(CONCAT_WS(0x1f, ${values.join(', ')}, CONCAT(${nulls.join(', ')})))`;
}

/** Count and an order-independent 64-bit XOR of row hashes: a chunk's fingerprint. */
export function chunkChecksumSelect(table: DiscoveredTable): string {
  return xorOfHashes(rowHashExpression(table));
}

/** The hash of the key alone: enough to find rows present on one side only, read from the index. */
export function keyHashExpression(key: string): string {
  return `MD5(${quoteMysql(key)})`;
}

/** Count and XOR of key hashes: a chunk's key-set fingerprint (no row is read, only the key). */
export function keySetChecksumSelect(key: string): string {
  return xorOfHashes(keyHashExpression(key));
}

function xorOfHashes(md5: string): string {
  return `COUNT(*) AS n, COALESCE(BIT_XOR(CAST(CONV(LEFT(${md5}, 16), 16, 10) AS UNSIGNED)), 0) AS x`;
}

/** The primary key column (extract strategies other than `full` need exactly one). */
export function keyColumn(table: DiscoveredTable): string | null {
  return table.primaryKey.length === 1 ? (table.primaryKey[0] as string) : null;
}

/** The key value as stored in the change log: the value itself, or a JSON array for composite keys. */
export function changeLogKey(table: DiscoveredTable, row: Record<string, unknown>): string {
  if (table.primaryKey.length === 1) return String(row[table.primaryKey[0] as string]);
  return JSON.stringify(table.primaryKey.map((k) => row[k]));
}

/** The `(col, col, @blob)` target list and `SET blob = UNHEX(@blob)` of a LOAD DATA statement. */
export function loadDataColumns(table: DiscoveredTable): { targets: string; set: string } {
  const targets = table.columns.map((c, i) => (isBinary(c) ? `@b${i}` : quoteMysql(c.name)));
  const sets = table.columns.flatMap((c, i) =>
    isBinary(c) ? [`${quoteMysql(c.name)} = UNHEX(@b${i})`] : [],
  );
  return {
    targets: `(${targets.join(', ')})`,
    set: sets.length > 0 ? ` SET ${sets.join(', ')}` : '',
  };
}
