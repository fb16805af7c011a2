import type { VerificationSettings } from '../../config/schema';
import type { Strategy } from '../../contract/stage';

/**
 * The night's verification budget shared out: tables with at most `full_compare_max_rows` rows
 * are compared whole on every night the source wrote them (their share is 0, "whole"); the larger
 * ones split `budget_seconds × compare_rows_per_second` rows equally, each comparing that many
 * rows of its rolling cycle a night (never fewer than `minimumRows`, one comparison range), so a
 * table of R rows is covered whole every ⌈R / share⌉ nights: its staleness bound.
 */
export function rollingShares(
  tables: readonly { table: string; estimatedRows: number; strategy: Strategy }[],
  settings: VerificationSettings,
  minimumRows: number,
): Map<string, number> {
  const large = tables.filter(
    (t) => t.strategy !== 'full' && t.estimatedRows > settings.full_compare_max_rows,
  );
  const budgetRows = settings.budget_seconds * settings.compare_rows_per_second;
  const share = Math.max(minimumRows, Math.floor(budgetRows / Math.max(1, large.length)));
  return new Map(large.map((t) => [t.table, share]));
}

/** Nights a whole comparison of a table takes at its share (1: compared whole every night). */
export function staleBoundNights(estimatedRows: number, compareRows: number): number {
  return compareRows > 0 ? Math.max(1, Math.ceil(estimatedRows / compareRows)) : 1;
}
