import type { DiscoveredColumn, DiscoveredTable } from '../discovery/discover-schema';
import { quoteMysql } from './identifiers';

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
