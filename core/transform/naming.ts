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
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Public names for a table's columns (in order), unique within the table including the
 * `<name>_label` columns of enum columns.
 */
export function publicColumnNames(
  columns: readonly string[],
  labelled: ReadonlySet<string>,
  overrides: Readonly<Record<string, string>> = {},
): string[] {
  const taken = new Set<string>();
  return columns.map((column) => {
    const candidates = [
      overrides[column],
      snakeCase(column),
      column.toLowerCase(),
      `${column.toLowerCase()}_col`,
    ];
    for (const candidate of candidates) {
      if (!candidate) continue;
      const label = labelled.has(column) ? `${candidate}_label` : null;
      if (taken.has(candidate) || (label && taken.has(label))) continue;
      taken.add(candidate);
      if (label) taken.add(label);
      return candidate;
    }
    throw new Error(`no unique public name for column ${column}`);
  });
}
