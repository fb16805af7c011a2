import type { VerificationSettings } from '../../config/schema';
import type { Strategy } from '../../contract/stage';

/**
 * The night's verification budget shared out: tables with at most `full_compare_max_rows` rows
 * are compared whole on every night the source wrote them (their share is 0, "whole"); the larger
 * ones share `budget_seconds × compare_rows_per_second` rows in proportion to their size, so every
 * one of them is covered whole within the same number of nights, ⌈their rows / budget rows⌉: the
 * staleness bound. A share is never below `minimumRows`.
 */
export function rollingShares(
  tables: readonly { table: string; estimatedRows: number; strategy: Strategy }[],
  settings: VerificationSettings,
  minimumRows: number,
): Map<string, number> {
  const large = tables.filter(
    (t) => t.strategy !== 'full' && t.estimatedRows > settings.full_compare_max_rows,
  );
  const budgetRows = Math.max(1, settings.budget_seconds * settings.compare_rows_per_second);
  const largeRows = large.reduce((n, t) => n + t.estimatedRows, 0);
  const nights = Math.max(1, Math.ceil(largeRows / budgetRows));
  return new Map(
    large.map((t) => [t.table, Math.max(minimumRows, Math.ceil(t.estimatedRows / nights))]),
  );
}

/** Nights a whole comparison of a table takes at its share (1: compared whole every night). */
export function staleBoundNights(estimatedRows: number, compareRows: number): number {
  return compareRows > 0 ? Math.max(1, Math.ceil(estimatedRows / compareRows)) : 1;
}
