import { quotePg } from '../db/identifiers';
import { mysqlTypeFromComment, sourceNameFromComment } from '../handoff/raw-columns';
import { enumOfColumn, enumValues, odSchema } from '../opendental/reference';
import { publicColumnNames } from './naming';

/**
 * How each raw column becomes one (or, for enums, two) public columns, from OpenDental's own
 * schema metadata (`cs_type`, `special`) and enum list. Columns and tables OpenDental's schema
 * does not know pass through with their raw types.
 */
export type Conversion = 'boolean' | 'no-date' | 'ticks' | 'none';

export interface PublicColumn {
  name: string;
  /** SQL over the raw table aliased `r`. */
  expression: string;
  conversion: Conversion;
  comment: string;
  /** Set on the raw key column. */
  isKey: boolean;
  /** The raw column it comes from. */
  raw: string;
}

export interface RawCatalogColumn {
  name: string;
  type: string;
  comment: string | null;
}

export function publicColumns(
  table: string,
  rawColumns: readonly RawCatalogColumn[],
  primaryKey: readonly string[],
  nameOverrides: Readonly<Record<string, string>> = {},
): PublicColumn[] {
  const od = Object.entries(odSchema).find(([name]) => name === table)?.[1];
  const data = rawColumns.filter((c) => !c.name.startsWith('_etl_'));
  const sources = data.map((c) => sourceNameFromComment(c.comment) ?? c.name);
  const enums = sources.map((s) => enumFor(table, s, od !== undefined));
  const names = publicColumnNames(
    sources,
    new Set(sources.filter((_, i) => enums[i])),
    nameOverrides,
  );
  const out: PublicColumn[] = [];
  data.forEach((raw, i) => {
    const name = names[i] as string;
    const meta = od?.columns.find((c) => c.name.toLowerCase() === raw.name);
    const r = `r.${quotePg(raw.name)}`;
    const from = `From raw.${table}.${raw.name} (${mysqlTypeFromComment(raw.comment) ?? raw.type})`;
    const isKey = primaryKey.includes(raw.name);
    let column: PublicColumn = {
      name,
      expression: r,
      conversion: 'none',
      comment: `${from}.`,
      isKey,
      raw: raw.name,
    };
    if (meta?.cs_type === 'bool' && raw.type === 'smallint') {
      column = {
        ...column,
        expression: `(${r} <> 0)`,
        conversion: 'boolean',
        comment: `${from}; boolean as OpenDental reads it: 0 is false, any other value true.`,
      };
    } else if (meta && raw.type === 'date') {
      column = {
        ...column,
        expression: `NULLIF(${r}, DATE '0001-01-01')`,
        conversion: 'no-date',
        comment: `${from}; 0001-01-01 (OpenDental's "no date") is NULL.`,
      };
    } else if (meta && raw.type === 'timestamp without time zone') {
      column = {
        ...column,
        expression: `NULLIF(${r}, TIMESTAMP '0001-01-01 00:00:00')`,
        conversion: 'no-date',
        comment: `${from}; 0001-01-01 00:00:00 (OpenDental's "no date") is NULL.`,
      };
    } else if (meta?.special.includes('TimeSpanLong') && raw.type === 'bigint') {
      column = {
        ...column,
        expression: `make_interval(secs => ${r} / 10000000.0)`,
        conversion: 'ticks',
        comment: `${from}; .NET ticks (100 ns) as an interval, to the microsecond.`,
      };
    }
    if (isKey)
      column = { ...column, expression: r, conversion: 'none', comment: `${from}; primary key.` };
    out.push(column);
    const enumName = enums[i];
    if (enumName) {
      out.push({
        name: `${name}_label`,
        expression: labelExpression(r, enumName),
        conversion: 'none',
        comment: `Label of ${name} in OpenDental's enum ${enumName} (24.3); NULL for a code it does not list.`,
        isKey: false,
        raw: raw.name,
      });
    }
  });
  for (const etl of rawColumns.filter((c) => c.name.startsWith('_etl_'))) {
    out.push({
      name: etl.name,
      expression: `r.${quotePg(etl.name)}`,
      conversion: 'none',
      comment:
        etl.name === '_etl_loaded_at'
          ? 'When the load last wrote this row to raw.'
          : 'The pipeline run that last loaded this row.',
      isKey: false,
      raw: etl.name,
    });
  }
  return out;
}

/** The enum of a column, when OpenDental lists values for it. */
function enumFor(table: string, source: string, known: boolean): string | undefined {
  if (!known) return undefined;
  const name = enumOfColumn(table, source);
  return name && Object.keys(enumValues(name)).length > 0 ? name : undefined;
}

/** `CASE code WHEN … THEN label … END`: unknown codes give NULL, never an error. */
function labelExpression(r: string, enumName: string): string {
  const values = Object.entries(enumValues(enumName));
  const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
  // Enums stored as text (EnumAsString) hold the name itself; numeric ones the code.
  return `CASE ${r}::text ${values.map(([code, label]) => `WHEN ${text(code)} THEN ${text(label)} WHEN ${text(label)} THEN ${text(label)}`).join(' ')} END`;
}
