import type { DiscoveredTable } from '../discovery/discover-schema';
import { staleBoundNights } from '../pipeline/verification-budget';
import type { ExtractState } from './extract-state';
import { judgeWrites, type NightSettings, type Verification } from './incremental-night';
import type { Clocks } from './source-clock';
import type { VerifyState } from './verify-state';

/**
 * Most of a clinic's tables are not written on a given day. When `UPDATE_TIME` shows the source
 * has not written a table since it was last verified equal, its extract stops there: no schema
 * check (a schema change writes the table too), no pass, no comparison, no state written. Null
 * when the table must go the whole way: a `--force` or `--reconcile` run, a periodic whole
 * comparison configured, a table never extracted or verified, or anything `UPDATE_TIME` cannot
 * vouch for (see `source-writes.ts`).
 */
export function unwrittenSinceVerified(facts: {
  table: Pick<DiscoveredTable, 'engine' | 'updateTime' | 'estimatedRows'>;
  input: { mode: 'incremental' | 'full'; reconcile?: boolean; compareRows?: number };
  state: ExtractState | null;
  previous: VerifyState | null;
  clocks: Clocks;
  settings: NightSettings;
}): Verification | null {
  const { input, state, previous, settings } = facts;
  if (input.mode !== 'incremental' || input.reconcile || settings.reconcileEveryRuns > 0)
    return null;
  if (!state || !previous) return null;
  const { sinceVerified } = judgeWrites(facts.table, {
    state,
    previous,
    clocks: facts.clocks,
    toleranceSeconds: settings.verification.clock_tolerance_seconds,
  });
  if (sinceVerified.written !== 'no') return null;
  return {
    compared: 'none',
    reason: sinceVerified.reason,
    rowsCompared: 0,
    rangesDiffering: 0,
    repaired: 0,
    clock: null,
    verifiedThrough: previous.verified_through,
    verifiedAt: previous.verified_at,
    boundNights: staleBoundNights(facts.table.estimatedRows, input.compareRows ?? 0),
  };
}
