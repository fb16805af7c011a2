import type { GeneratorContext, ValueGen } from './generator-context';

/** The value generators of one table's columns, by column name. */
export type TableRules = Record<string, ValueGen>;

/** Status weights: [code, cumulative probability]. */
export function weighted(entries: [string, number][]): (u: number) => string {
  let total = 0;
  const cumulative = entries.map(([code, weight]) => {
    total += weight;
    return [code, total] as const;
  });
  return (u) => cumulative.find(([, c]) => u * total < c)?.[0] ?? entries[0]?.[0] ?? '0';
}

/**
 * What the rules of every domain draw on: a salt per table and purpose, the text pools, and the
 * per-patient key blocks (`owned`: the owner of a row; `procOfPatient`: one of a patient's
 * procedures), so that related rows of different tables belong to the same patient.
 */
export function ruleKit(ctx: GeneratorContext) {
  const s = (table: string, purpose: string) => ctx.salt(table, purpose);
  const { pools } = ctx;
  const owned =
    (table: string): ValueGen =>
    (row) =>
      String(ctx.patientOf(table, row));
  const procOfPatient = (patient: number, h: number, salt: number) =>
    ctx.rowOfPatient('procedurelog', patient, h, salt);
  return { s, pools, owned, procOfPatient };
}
