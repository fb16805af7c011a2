import { enumOfColumn, enumValues } from '../../opendental/reference';
import { ruleRegistry, type TransformRule } from './registry';

/**
 * OpenDental's generic meaning, read from its schema metadata (`cs_type`, `special`) and enum
 * list: the default rules every table gets. They never overlap on an OpenDental 24.3 column, so
 * their order only matters for rules added before them.
 */

/** `cs_type` bool in a tinyint: OpenDental treats any non-zero value as true (old data holds 2s). */
export const booleanRule: TransformRule = {
  name: 'OpenDental boolean',
  apply: ({ od, column, ref }) =>
    od?.cs_type === 'bool' && column.type === 'smallint'
      ? {
          expression: `(${ref} <> 0)`,
          conversion: 'boolean',
          note: 'boolean as OpenDental reads it: 0 is false, any other value true',
        }
      : null,
};

/** OpenDental writes 0001-01-01 where a date or timestamp is unset. */
export const noDateRule: TransformRule = {
  name: 'OpenDental no-date',
  apply: ({ od, column, ref }) => {
    if (!od) return null;
    if (column.type === 'date')
      return {
        expression: `NULLIF(${ref}, DATE '0001-01-01')`,
        conversion: 'no-date',
        note: `0001-01-01 (OpenDental's "no date") is NULL`,
      };
    if (column.type === 'timestamp without time zone')
      return {
        expression: `NULLIF(${ref}, TIMESTAMP '0001-01-01 00:00:00')`,
        conversion: 'no-date',
        note: `0001-01-01 00:00:00 (OpenDental's "no date") is NULL`,
      };
    return null;
  },
};

/** `TimeSpanLong` columns hold a .NET TimeSpan as ticks of 100 ns. */
export const ticksRule: TransformRule = {
  name: 'OpenDental tick duration',
  apply: ({ od, column, ref }) =>
    od?.special.includes('TimeSpanLong') && column.type === 'bigint'
      ? {
          expression: ticksAsInterval(ref),
          conversion: 'ticks',
          note: '.NET ticks (100 ns) as an interval, exact to the microsecond (the rest truncated toward zero)',
        }
      : null,
};

const TICKS_PER_HOUR = 36_000_000_000n;

/**
 * A bigint of .NET ticks as an exact `interval`: whole microseconds, the sub-microsecond rest
 * truncated toward zero (as .NET's own TimeSpan parts are). No step goes through a double wider
 * than 2^53: whole hours (at most 256204778, an int) go in through `make_interval`, and the rest
 * of the hour (under 3.6e9 µs) through `interval * float8`, which PostgreSQL rounds to the whole
 * microsecond it already is. `make_interval(secs => ticks / 1e7)` went through one double and
 * was 76 µs off at `TimeSpan.MaxValue`. Bigint division and `%` truncate toward zero, so
 * negative durations mirror positive ones, down to -9223372036854775808.
 */
export function ticksAsInterval(ref: string): string {
  return `(make_interval(hours => (${ref} / ${TICKS_PER_HOUR})::int) + (${ref} % ${TICKS_PER_HOUR} / 10) * interval '1 microsecond')`;
}

/** Enum codes stay as they are; a `<name>_label` column beside them names each code. */
export const enumLabelRule: TransformRule = {
  name: 'OpenDental enum label',
  apply: ({ table, source, od, ref }) => {
    const enumName = od ? enumOfColumn(table, source) : undefined;
    if (!enumName || Object.keys(enumValues(enumName)).length === 0) return null;
    return {
      expression: ref,
      conversion: 'none',
      note: '',
      label: {
        expression: labelExpression(ref, enumName),
        comment: (labelled) =>
          `Label of ${labelled} in OpenDental's enum ${enumName} (24.3); NULL for a code it does not list.`,
      },
    };
  },
};

export const DEFAULT_RULES: readonly TransformRule[] = [
  booleanRule,
  noDateRule,
  ticksRule,
  enumLabelRule,
];

/**
 * The rules the transform runs with. A rule for one table or column goes here as
 * `withRule(ruleRegistry(DEFAULT_RULES), { table: 'x', column: 'Y' }, rule)`; none is needed yet.
 */
export const OPENDENTAL_RULES = ruleRegistry(DEFAULT_RULES);

/** `CASE code WHEN … THEN label … END`: unknown codes give NULL, never an error. */
function labelExpression(ref: string, enumName: string): string {
  const values = Object.entries(enumValues(enumName));
  const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
  // Enums stored as text (EnumAsString) hold the name itself; numeric ones the code.
  return `CASE ${ref}::text ${values.map(([code, label]) => `WHEN ${text(code)} THEN ${text(label)} WHEN ${text(label)} THEN ${text(label)}`).join(' ')} END`;
}
