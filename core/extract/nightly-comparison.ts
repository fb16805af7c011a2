import type { Clocks } from './source-clock';
import type { Written } from './source-writes';
import type { StrategyContext, StrategyOutcome } from './strategies';
import { compareAndRepair } from './strategies/reconcile';
import type { VerifyState } from './verify-state';

/**
 * The night's comparison of a table: none (the source has not written it since it was last
 * verified), whole (every row's fingerprint, on both servers), or rolling (the next key ranges
 * of a table too large to compare whole within the night's budget, after a cheap check of its
 * whole key set). Whatever differs is repaired and logged in the same run.
 */
export type ComparisonKind = 'none' | 'whole' | 'rolling';

export interface ComparisonDecision {
  kind: ComparisonKind;
  reason: string;
}

export function decideComparison(facts: {
  /** Why the whole table must be compared whatever else holds (null: nothing forces it). */
  forced: string | null;
  /** A change column read tonight is ahead of the source's clock. */
  futureStamp: boolean;
  /** Whether the source wrote the table since its last verification. */
  sinceVerified: Written;
  /** The table's rolling share tonight (0: small enough to compare whole). */
  compareRows: number;
}): ComparisonDecision {
  if (facts.forced) return { kind: 'whole', reason: facts.forced };
  if (facts.futureStamp)
    return { kind: 'whole', reason: 'a change column is ahead of the source clock' };
  if (facts.sinceVerified.written === 'no')
    return { kind: 'none', reason: facts.sinceVerified.reason };
  if (facts.compareRows > 0)
    return {
      kind: 'rolling',
      reason: `${facts.sinceVerified.reason}; over the size threshold: ${facts.compareRows} rows tonight`,
    };
  return { kind: 'whole', reason: facts.sinceVerified.reason };
}

/** What the comparison did, for the extract's result and the run history. */
export interface ComparisonOutcome extends StrategyOutcome {
  rowsCompared: number;
  rangesDiffering: number;
  /** Where the verification stands afterwards (written by the caller with the clocks). */
  state: Pick<VerifyState, 'verified_through' | 'verified_at' | 'cycle_started' | 'cycle_cursor'>;
}

/**
 * Runs the decided comparison and says how far the table is verified afterwards. `clocks` were
 * read before the table's extract began, so every change older than `clocks.sourceNow` has been
 * seen by a whole comparison that started after it.
 */
export async function runComparison(
  context: StrategyContext,
  decision: ComparisonDecision,
  options: { previous: VerifyState | null; clocks: Clocks; compareRows: number },
): Promise<ComparisonOutcome> {
  const { previous, clocks } = options;
  const kept = {
    verified_through: previous?.verified_through ?? null,
    verified_at: previous?.verified_at ?? null,
    cycle_started: previous?.cycle_started ?? null,
    cycle_cursor: previous?.cycle_cursor ?? null,
  };
  const empty = {
    inserted: 0,
    updated: 0,
    deleted: 0,
    bytes: 0,
    rowsCompared: 0,
    rangesDiffering: 0,
  };
  if (decision.kind === 'none') return { ...empty, state: kept };
  const compare = (options: Parameters<typeof compareAndRepair>[1]) =>
    compareAndRepair(context, options);
  const verifiedNow = await replicaNow(context);
  if (decision.kind === 'whole') {
    const outcome = await compare({ keysOnly: false });
    return {
      ...sum(empty, outcome),
      state: {
        verified_through: clocks.sourceNow,
        verified_at: verifiedNow,
        cycle_started: null,
        cycle_cursor: null,
      },
    };
  }
  // Rolling: the whole key set every night (inserts and deletes, stamped or not), with each key's
  // change-column value where there is one (a stamp moved backwards), then the next slice of
  // rows from where the cycle stands.
  const keys = await compare({
    keysOnly: true,
    stampColumn: context.table.changeColumn ?? undefined,
  });
  const cycleStarted = kept.cycle_started ?? clocks.sourceNow;
  const slice = await compare({
    keysOnly: false,
    startAfter: kept.cycle_cursor,
    maxRows: options.compareRows,
  });
  const done = slice.lastKey === null;
  return {
    ...sum(sum(empty, keys), slice),
    rowsCompared: slice.rowsCompared,
    state: done
      ? {
          verified_through: cycleStarted,
          verified_at: verifiedNow,
          cycle_started: null,
          cycle_cursor: null,
        }
      : { ...kept, cycle_started: cycleStarted, cycle_cursor: slice.lastKey },
  };
}

function sum<T extends Omit<ComparisonOutcome, 'state'>>(
  a: T,
  b: {
    inserted: number;
    updated: number;
    deleted: number;
    bytes: number;
    rowsCompared: number;
    rangesDiffering: number;
  },
): T {
  return {
    ...a,
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    deleted: a.deleted + b.deleted,
    bytes: a.bytes + b.bytes,
    rowsCompared: a.rowsCompared + b.rowsCompared,
    rangesDiffering: a.rangesDiffering + b.rangesDiffering,
  };
}

async function replicaNow(context: StrategyContext): Promise<string> {
  const [row] = await context.replica.queryArrays('SELECT DATE_FORMAT(NOW(), ?)', [
    '%Y-%m-%d %H:%i:%s',
  ]);
  return String(row?.[0]);
}
