import { quotePg } from '../db/identifiers';
import { mysqlTypeFromComment, sourceNameFromComment } from '../handoff/raw-columns';
import { odSchema } from '../opendental/reference';
import { type FittedName, type PublicColumnName, publicColumnNaming } from './naming';
import { OPENDENTAL_RULES } from './rules/default-rules';
import {
  type ColumnMeaning,
  type Conversion,
  meaningOf,
  type RawCatalogColumn,
  type RuleRegistry,
} from './rules/registry';

export type { Conversion, RawCatalogColumn } from './rules/registry';

/**
 * How each raw column becomes one (or, for enums, two) public columns. The value rules live in
 * `rules/` (OpenDental's defaults, plus any rule for one table or column); columns no rule
 * applies to pass through with their raw types.
 */
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

/**
 * The public columns of one raw table, in raw's order: each raw column's meaning from the first
 * rule of `rules` that applies (column-specific, table-wide, then OpenDental's defaults), enum
 * labels beside their columns, the key and `_etl_*` columns passed through.
 */
export function publicColumns(
  table: string,
  rawColumns: readonly RawCatalogColumn[],
  options: {
    /** raw's primary key columns. */
    primaryKey: readonly string[];
    /** `transform.column_names` of this table: MySQL column name → public name. */
    nameOverrides?: Readonly<Record<string, string>>;
    rules?: RuleRegistry;
  },
): PublicColumn[] {
  const { primaryKey, nameOverrides = {}, rules = OPENDENTAL_RULES } = options;
  // Own keys only: a custom table named `constructor` must not find Object's prototype.
  const od = Object.hasOwn(odSchema, table) ? odSchema[table] : undefined;
  const data = rawColumns.filter((c) => !c.name.startsWith('_etl_'));
  const sources = data.map((c) => sourceNameFromComment(c.comment) ?? c.name);
  const meanings = data.map((raw, i) =>
    meaningOf(rules, {
      table,
      column: raw,
      source: sources[i] as string,
      od: od?.columns.find((c) => c.name.toLowerCase() === raw.name),
      ref: `r.${quotePg(raw.name)}`,
    }),
  );
  const names = publicColumnNaming(
    sources,
    new Set(sources.filter((_, i) => meanings[i]?.label)),
    nameOverrides,
  );
  const out: PublicColumn[] = [];
  data.forEach((raw, i) => {
    const fitted = names[i] as PublicColumnName;
    const { name, label } = fitted;
    const meaning = meanings[i] as ColumnMeaning;
    const source = sources[i] as string;
    const from = `From raw.${table}.${raw.name} (${mysqlTypeFromComment(raw.comment) ?? raw.type})`;
    // The key passes through whatever the rules say: the incremental apply matches public keys
    // to raw keys by value.
    const isKey = primaryKey.includes(raw.name);
    out.push({
      name,
      expression: isKey ? `r.${quotePg(raw.name)}` : meaning.expression,
      conversion: isKey ? 'none' : meaning.conversion,
      comment: withShortening(
        isKey ? `${from}; primary key.` : meaning.note ? `${from}; ${meaning.note}.` : `${from}.`,
        fitted,
        source,
      ),
      isKey,
      raw: raw.name,
    });
    if (meaning.label && label) {
      out.push({
        name: label.name,
        expression: meaning.label.expression,
        conversion: 'none',
        comment: withShortening(meaning.label.comment(name), label, source),
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

/**
 * A shortened name's comment says what it stands for, since the name alone no longer does: the
 * full public name and the MySQL column (raw's own name may be cut at 63 bytes too).
 */
function withShortening(comment: string, fitted: FittedName, source: string): string {
  return fitted.name === fitted.full
    ? comment
    : `${comment} Named ${fitted.name}: ${fitted.full} (from MySQL column ${source}) is longer than PostgreSQL's 63-byte identifier limit.`;
}
