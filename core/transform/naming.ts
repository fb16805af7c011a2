import { createHash } from 'node:crypto';

/**
 * The one naming rule of schema `public`: OpenDental's PascalCase to snake_case.
 *
 * 1. an underscore between a lowercase letter or digit and an uppercase letter
 *    (`PatNum` → `Pat_Num`);
 * 2. an underscore between an uppercase letter and an uppercase letter followed by a lowercase
 *    one, so acronyms stay together (`DateTStamp` → `Date_T_Stamp`, `DEANum` → `DEA_Num`);
 * 3. lowercase.
 *
 * `PatNum` → `pat_num`, `DateTStamp` → `date_t_stamp`, `SSN` → `ssn`, `Bal_0_30` → `bal_0_30`,
 * `ProvNumBillingOverride` → `prov_num_billing_override`. Where two columns of one table would get
 * the same name (or collide with a generated `_label` column), the later one keeps its lowercased
 * raw name instead, and `transform.column_names` in pipeline.yml can name any column explicitly.
 * Names longer than PostgreSQL keeps are shortened by `fitIdentifier`.
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** PostgreSQL keeps identifiers of up to NAMEDATALEN - 1 bytes and silently cuts longer ones. */
export const PG_MAX_IDENTIFIER_BYTES = 63;
const HASH_HEX_DIGITS = 8;

/**
 * A name PostgreSQL keeps as given. Up to 63 bytes it is unchanged; a longer one becomes its
 * first whole characters (at most 54 bytes, trailing `_` dropped), `_` and the first 8 hex digits
 * of the SHA-256 of the full name: 63 bytes at most, the same on every run, and different for
 * different full names. PostgreSQL's own cut would merge two names that share their first 63
 * bytes, and a cut name never equals the name the transform compares the catalog with.
 */
export function fitIdentifier(name: string): string {
  if (Buffer.byteLength(name) <= PG_MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_HEX_DIGITS);
  const room = PG_MAX_IDENTIFIER_BYTES - 1 - HASH_HEX_DIGITS;
  let prefix = '';
  for (const character of name) {
    if (Buffer.byteLength(prefix + character) > room) break;
    prefix += character;
  }
  return `${prefix.replace(/_+$/, '')}_${hash}`;
}

/** A public name, and the longer one it was shortened from (equal when it fits). */
export interface FittedName {
  name: string;
  full: string;
}

export interface PublicColumnName extends FittedName {
  /** The `<name>_label` column of an enum column (shortened from `<full>_label` if need be). */
  label: FittedName | null;
}

/**
 * Public names for a table's columns (in order), unique within the table including the
 * `<name>_label` columns of the `labelled` ones, each at most 63 bytes. Tries the explicit
 * override, the snake_case rule, the lowercased name, then `<lowercased>_col`.
 */
export function publicColumnNaming(
  columns: readonly string[],
  labelled: ReadonlySet<string>,
  overrides: Readonly<Record<string, string>> = {},
): PublicColumnName[] {
  const taken = new Set<string>();
  const fitted = (full: string): FittedName => ({ name: fitIdentifier(full), full });
  return columns.map((column) => {
    const candidates = [
      overrides[column],
      snakeCase(column),
      column.toLowerCase(),
      `${column.toLowerCase()}_col`,
    ];
    for (const candidate of candidates) {
      if (!candidate) continue;
      const own = fitted(candidate);
      const label = labelled.has(column) ? fitted(`${candidate}_label`) : null;
      if (taken.has(own.name) || (label && taken.has(label.name))) continue;
      taken.add(own.name);
      if (label) taken.add(label.name);
      return { ...own, label };
    }
    throw new Error(`no unique public name for column ${column}`);
  });
}

/** The names of `publicColumnNaming`, without what they were shortened from. */
export function publicColumnNames(
  columns: readonly string[],
  labelled: ReadonlySet<string>,
  overrides: Readonly<Record<string, string>> = {},
): string[] {
  return publicColumnNaming(columns, labelled, overrides).map((c) => c.name);
}
