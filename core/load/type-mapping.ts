import type { DiscoveredColumn } from '../discovery/discover-schema';

/**
 * The one MySQL → PostgreSQL type mapping of schema `raw` (documented in docs/type-mapping.md).
 * `raw` is faithful: every value PostgreSQL can hold arrives unchanged; only values it cannot
 * hold are converted, each kind counted (see `copy-encoder.ts`).
 */
export type ValueKind =
  | 'integer'
  | 'decimal'
  | 'float'
  | 'date'
  | 'datetime'
  | 'time'
  | 'year'
  | 'text'
  | 'bytea'
  | 'bit'
  | 'set'
  | 'json';

export interface RawColumn {
  /** Lowercased name in raw. */
  name: string;
  /** Name in the replica. */
  source: string;
  /** As PostgreSQL's format_type() prints it, so that raw's catalog compares directly. */
  pgType: string;
  kind: ValueKind;
  nullable: boolean;
  /** For bit(n): n. */
  bits?: number;
  /** The replica column type, e.g. `tinyint(3) unsigned` (kept in raw's column comment). */
  mysqlType: string;
}

export function mapColumn(column: DiscoveredColumn): RawColumn {
  const type = column.columnType.toLowerCase();
  const unsigned = type.includes('unsigned');
  const size = /\((\d+)(?:,(\d+))?\)/.exec(type);
  const base = {
    name: column.name.toLowerCase(),
    source: column.name,
    nullable: column.nullable,
    mysqlType: column.columnType,
  };
  const as = (pgType: string, kind: ValueKind, extra: Partial<RawColumn> = {}): RawColumn => ({
    ...base,
    pgType,
    kind,
    ...extra,
  });
  switch (column.dataType) {
    case 'bigint':
      return unsigned ? as('numeric(20,0)', 'integer') : as('bigint', 'integer');
    case 'int':
    case 'integer':
    case 'mediumint':
      return unsigned && column.dataType !== 'mediumint'
        ? as('bigint', 'integer')
        : as('integer', 'integer');
    case 'smallint':
      return unsigned ? as('integer', 'integer') : as('smallint', 'integer');
    case 'tinyint':
      return as('smallint', 'integer');
    case 'double':
    case 'real':
      return as('double precision', 'float');
    case 'float':
      return as('real', 'float');
    case 'decimal':
    case 'numeric':
      return as(size ? `numeric(${size[1]},${size[2] ?? 0})` : 'numeric', 'decimal');
    case 'date':
      return as('date', 'date');
    case 'datetime':
    case 'timestamp':
      return as('timestamp without time zone', 'datetime');
    case 'time':
      return as('interval', 'time');
    case 'year':
      return as('smallint', 'year');
    case 'varchar':
    case 'char':
      return as(size ? `character varying(${size[1]})` : 'text', 'text');
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'enum':
      return as('text', 'text');
    case 'set':
      return as('text[]', 'set');
    case 'json':
      return as('jsonb', 'json');
    case 'bit':
      return as('bit varying', 'bit', { bits: size ? Number(size[1]) : 1 });
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
    case 'binary':
    case 'varbinary':
      return as('bytea', 'bytea');
    default:
      // Anything newer is kept as its text form rather than failing the table.
      return as('text', 'text');
  }
}

/** The raw columns of a replica table, in order. */
export function mapColumns(columns: readonly DiscoveredColumn[]): RawColumn[] {
  return columns.map(mapColumn);
}
