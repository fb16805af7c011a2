import type { OdColumn } from '../../opendental/reference';

/**
 * The registry of value rules: how a raw column's values become its public column's. Rules are
 * keyed by table and column so one table's or one column's meaning can be added beside the
 * generic OpenDental defaults (booleans, no-dates, ticks, enum labels) without editing them.
 */

/** What the transform does to a column's values (shown in the column's comment and tests). */
export type Conversion = 'boolean' | 'no-date' | 'ticks' | 'none';

/** A raw column as PostgreSQL's catalog has it. */
export interface RawCatalogColumn {
  name: string;
  type: string;
  comment: string | null;
}

/** What a rule sees of one raw column. */
export interface RawColumnContext {
  /** The raw (and public) table name, lowercase. */
  table: string;
  /** The raw column as PostgreSQL's catalog has it: lowercased name, PostgreSQL type, comment. */
  column: RawCatalogColumn;
  /** The MySQL column name (`PatNum`), read from raw's column comment. */
  source: string;
  /** OpenDental's metadata of the column; undefined where OpenDental 24.3 does not know it. */
  od: OdColumn | undefined;
  /** The column in SQL over the raw table aliased `r`, quoted: `r."patnum"`. */
  ref: string;
}

/** What a rule makes of one raw column. */
export interface ColumnMeaning {
  /** SQL over the raw table aliased `r`. */
  expression: string;
  conversion: Conversion;
  /** What was converted, for the column comment after `From raw.<table>.<column> (<type>)`; empty when nothing. */
  note: string;
  /** A `<name>_label` column to publish beside this one. */
  label?: {
    expression: string;
    /** The label column's comment, given the public name of the column it labels. */
    comment: (labelledName: string) => string;
  };
}

/**
 * One way of reading a raw column: its public meaning, or null when the rule does not apply to
 * this column (the lookup then tries the next rule).
 */
export interface TransformRule {
  /** Says what the rule does, for tests and error messages. */
  readonly name: string;
  apply(column: RawColumnContext): ColumnMeaning | null;
}

/**
 * Rules by where they apply. Immutable: `withRule` returns a new registry, so the defaults
 * cannot be changed behind another caller's back.
 */
export interface RuleRegistry {
  /** Tried last, in order. */
  readonly defaults: readonly TransformRule[];
  /** Table name (lowercase) → rules for every column of that table. */
  readonly tables: ReadonlyMap<string, readonly TransformRule[]>;
  /** `table.column` (lowercase; the column by raw name, i.e. its lowercased MySQL name) → rules. */
  readonly columns: ReadonlyMap<string, readonly TransformRule[]>;
}

/** Where a table- or column-specific rule applies; the column by MySQL or raw name (any case). */
export interface RuleTarget {
  table: string;
  column?: string;
}

export function ruleRegistry(defaults: readonly TransformRule[]): RuleRegistry {
  return { defaults, tables: new Map(), columns: new Map() };
}

/**
 * A registry with `rule` added for one table (every column) or one column of a table. Rules for
 * the same target are tried in the order they were added.
 */
export function withRule(
  registry: RuleRegistry,
  target: RuleTarget,
  rule: TransformRule,
): RuleRegistry {
  const add = (map: ReadonlyMap<string, readonly TransformRule[]>, key: string) =>
    new Map(map).set(key, [...(map.get(key) ?? []), rule]);
  return target.column === undefined
    ? { ...registry, tables: add(registry.tables, target.table.toLowerCase()) }
    : { ...registry, columns: add(registry.columns, columnKey(target.table, target.column)) };
}

/** The rules that may decide one column, in the order they are tried: column, table, defaults. */
export function rulesFor(registry: RuleRegistry, table: string, column: string): TransformRule[] {
  return [
    ...(registry.columns.get(columnKey(table, column)) ?? []),
    ...(registry.tables.get(table.toLowerCase()) ?? []),
    ...registry.defaults,
  ];
}

/** The meaning of one raw column: the first rule that applies, else its values unchanged. */
export function meaningOf(registry: RuleRegistry, context: RawColumnContext): ColumnMeaning {
  for (const rule of rulesFor(registry, context.table, context.column.name)) {
    const meaning = rule.apply(context);
    if (meaning) return meaning;
  }
  return { expression: context.ref, conversion: 'none', note: '' };
}

function columnKey(table: string, column: string): string {
  return `${table}.${column}`.toLowerCase();
}
