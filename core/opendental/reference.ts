import enumsJson from './data/enums.json';
import rowCountsJson from './data/real-clinic-rowcounts.json';
import schemaJson from './data/schema.json';

/**
 * OpenDental 24.3.10 reference data, vendored from shared/opendental (see README.md here):
 * the schema of all 422 tables with OpenDental's own C# types, the enum values, and the row
 * counts of one real clinic. The pipeline works without the shared folder.
 */

export interface OdColumn {
  name: string;
  mysql_type: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  /** The C# type OpenDental maps the column to: `bool`, `long`, `DateTime`, an enum name, ... */
  cs_type: string | null;
  cs_is_enum: boolean;
  /** CRUD attributes such as `TimeStamp`, `TimeSpanLong` (tick durations), `EnumAsString`. */
  special: string[];
}

export interface OdIndex {
  name: string;
  unique: boolean;
  /** Column names, with a prefix length in parentheses where the index uses one. */
  columns: string[];
}

export interface OdTable {
  columns: OdColumn[];
  primary_key: string[];
  auto_increment: string[];
  indexes: OdIndex[];
  /** The auto-updating `timestamp` change column, where the table has one. */
  timestamp_columns: string[];
}

interface EnumsFile {
  enums: Record<string, Record<string, string>>;
  columns: Record<string, Record<string, string>>;
  enums_without_values: string[];
}

interface RowCountsFile {
  total_rows: number;
  tables: Record<string, { rows: number; size_mb: number }>;
}

export const OPENDENTAL_VERSION = '24.3.10';

export const odSchema: Readonly<Record<string, OdTable>> = (
  schemaJson as { tables: Record<string, OdTable> }
).tables;

export const odEnums = enumsJson as EnumsFile;

export const realClinicRowCounts = rowCountsJson as RowCountsFile;

/** The enum name OpenDental uses for a column, if the column holds enum codes. */
export function enumOfColumn(table: string, column: string): string | undefined {
  return odEnums.columns[table]?.[column];
}

/** The `{code: label}` values of an enum; empty where OpenDental lists none. */
export function enumValues(enumName: string): Record<string, string> {
  return odEnums.enums[enumName] ?? {};
}
