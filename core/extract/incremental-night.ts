import type { VerificationSettings } from '../../config/schema';
import type { Strategy } from '../../contract/stage';
import { staleBoundNights } from '../pipeline/verification-budget';
import type { ExtractState } from './extract-state';
import { type ComparisonKind, decideComparison, runComparison } from './nightly-comparison';
import type { SchemaPlan } from './schema-sync';
import { type Clocks, sourceClockStepBack, textEpoch, widenedSince } from './source-clock';
import { type Written, writtenSince } from './source-writes';
import { EXTRACT_STRATEGIES, type StrategyContext, type StrategyOutcome } from './strategies';
import type { VerifyState } from './verify-state';

/** How the night verified a table: what was compared, why, and where that leaves the table. */
export interface Verification {
  compared: ComparisonKind;
  reason: string;
  rowsCompared: number;
  rangesDiffering: number;
  /** Rows the comparison found different and repaired (inserted, updated or deleted). */
  repaired: number;
  /** What the clocks showed and what was done about it (null: nothing unusual). */
  clock: string | null;
  /** Source time before which every change is known to be in the replica (null: never). */
  verifiedThrough: string | null;
  /** When the last whole comparison or completed rolling cycle ran (replica clock, UTC). */
  verifiedAt: string | null;
  /** Nights a whole comparison of the table takes at its share of the budget (1: every night). */
  boundNights: number;
}

export interface NightOutcome {
  passes: StrategyOutcome[];
  verification: Verification;
  verifyState: VerifyState;
}

export interface NightSettings {
  reconcileEveryRuns: number;
  verification: VerificationSettings;
}

/**
 * What the clocks and `UPDATE_TIME` say about a table: how far the source clock stepped back
 * since its last extract (0: not beyond the tolerance), and whether the source wrote it since it
 * was last verified and since its last run.
 */
export function judgeWrites(
  table: Pick<StrategyContext['table'], 'engine' | 'updateTime'>,
  facts: {
    state: ExtractState | null;
    previous: VerifyState | null;
    clocks: Clocks;
    toleranceSeconds: number;
  },
): { stepBack: number; sinceVerified: Written; sinceLastRun: Written } {
  const { previous, clocks, toleranceSeconds } = facts;
  const stepBack = sourceClockStepBack(
    previous && {
      sourceEpoch: previous.last_source_epoch,
      replicaEpoch: previous.last_replica_epoch,
    },
    clocks,
    toleranceSeconds,
  );
  const context = { sourceNow: clocks.sourceNow, clockSteppedBack: stepBack > 0, toleranceSeconds };
  return {
    stepBack,
    sinceVerified: writtenSince(table, previous?.verified_through ?? null, context),
    sinceLastRun: writtenSince(table, facts.state?.watermark ?? null, context),
  };
}

/** Why the whole table must be compared tonight whatever its size (null: nothing forces it). */
export function forcedComparison(facts: {
  input: { reconcile?: boolean };
  schema: SchemaPlan;
  state: ExtractState | null;
  settings: NightSettings;
}): string | null {
  if (facts.input.reconcile) return 'requested (--reconcile)';
  if (facts.schema.action === 'alter') return 'columns or indexes added';
  const every = facts.settings.reconcileEveryRuns;
  if (every > 0 && (facts.state?.runs_since_reconcile ?? 0) + 1 >= every)
    return `every ${every} runs (reconcile_every_runs)`;
  return null;
}

/**
 * An incremental night for one table: the strategy's pass when the source wrote the table since
 * the last run (with the window widened when the source clock stepped back), then the comparison
 * the table's writes, size and clocks call for, repairing what it finds.
 */
export async function incrementalNight(
  context: StrategyContext,
  options: {
    strategy: Strategy;
    previous: VerifyState | null;
    clocks: Clocks;
    settings: NightSettings;
    compareRows: number;
    forced: string | null;
  },
): Promise<NightOutcome> {
  const { previous, clocks, compareRows, forced } = options;
  const tolerance = options.settings.verification.clock_tolerance_seconds;
  const { stepBack, sinceVerified, sinceLastRun } = judgeWrites(context.table, {
    state: context.state,
    previous,
    clocks,
    toleranceSeconds: tolerance,
  });
  let decision = decideComparison({ forced, futureStamp: false, sinceVerified, compareRows });
  const passes: StrategyOutcome[] = [];
  const clock: string[] = [];
  if (stepBack > 0) clock.push(`source clock stepped back ${stepBack} s`);
  const hasPass = EXTRACT_STRATEGIES[options.strategy].nightlyPass;
  // A whole comparison sees every change the pass would: the pass is then skipped.
  if (hasPass && decision.kind !== 'whole' && sinceLastRun.written !== 'no') {
    let windowStart: string | undefined;
    const watermark = context.state?.watermark;
    if (
      stepBack > 0 &&
      options.strategy === 'timestamp' &&
      watermark &&
      previous?.last_replica_epoch
    ) {
      windowStart = widenedSince(watermark, clocks, previous.last_replica_epoch);
      clock.push(`timestamp window widened to ${windowStart}`);
    }
    const pass = await EXTRACT_STRATEGIES[options.strategy].run({ ...context, windowStart });
    passes.push(pass);
    if (pass.latestStamp && textEpoch(pass.latestStamp) > clocks.sourceEpoch + tolerance) {
      decision = decideComparison({ forced, futureStamp: true, sinceVerified, compareRows });
      clock.push('a change column is ahead of the source clock: compared whole tonight');
    }
  }
  if (stepBack > 0 && decision.kind !== 'none' && clock.length === 1)
    clock.push(`${decision.kind === 'whole' ? 'compared whole' : 'compared'} tonight`);
  const comparison = await runComparison(context, decision, { previous, clocks, compareRows });
  if (decision.kind !== 'none') passes.push(comparison);
  const boundNights = staleBoundNights(context.table.estimatedRows, compareRows);
  return {
    passes,
    verification: {
      compared: decision.kind,
      reason: decision.reason,
      rowsCompared: comparison.rowsCompared,
      rangesDiffering: comparison.rangesDiffering,
      repaired: comparison.inserted + comparison.updated + comparison.deleted,
      clock: clock.length > 0 ? clock.join('; ') : null,
      verifiedThrough: comparison.state.verified_through,
      verifiedAt: comparison.state.verified_at,
      boundNights,
    },
    verifyState: {
      table_name: context.table.name,
      ...comparison.state,
      bound_nights: boundNights,
      last_source_epoch: clocks.sourceEpoch,
      last_replica_epoch: clocks.replicaEpoch,
    },
  };
}

/** A full copy is validated against the source range by range: a whole comparison by itself. */
export async function fullCopyNight(
  context: StrategyContext,
  options: { clocks: Clocks; compareRows: number },
): Promise<NightOutcome> {
  const pass = await EXTRACT_STRATEGIES.full.run(context);
  const [row] = await context.replica.queryArrays('SELECT DATE_FORMAT(NOW(), ?)', [
    '%Y-%m-%d %H:%i:%s',
  ]);
  const verifiedAt = String(row?.[0]);
  const boundNights = staleBoundNights(context.table.estimatedRows, options.compareRows);
  return {
    passes: [pass],
    verification: {
      compared: 'whole',
      reason: 'full copy, checked range by range',
      rowsCompared: pass.inserted,
      rangesDiffering: 0,
      repaired: 0,
      clock: null,
      verifiedThrough: options.clocks.sourceNow,
      verifiedAt,
      boundNights,
    },
    verifyState: {
      table_name: context.table.name,
      verified_through: options.clocks.sourceNow,
      verified_at: verifiedAt,
      cycle_started: null,
      cycle_cursor: null,
      bound_nights: boundNights,
      last_source_epoch: options.clocks.sourceEpoch,
      last_replica_epoch: options.clocks.replicaEpoch,
    },
  };
}
