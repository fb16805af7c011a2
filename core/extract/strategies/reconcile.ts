import { inTransaction } from '../../db/transactions';
import { keyColumn } from '../../discovery/discover-schema';
import { type ReconcileOutcome, reconcileTable } from '../reconcile';
import type { ExtractStrategy, StrategyContext } from './strategy';

/**
 * Tables without a change column: no pass of their own. The night's comparison
 * (`incremental-night.ts`: per key range, fingerprints on both sides, rows diffed only where they
 * differ) finds their inserts, updates and deletes; `run` is that comparison over the whole table.
 */
export const reconcileStrategy: ExtractStrategy = {
  choose: () => 'no change column: checksum reconcile',
  canRun: (table) => keyColumn(table) !== null,
  nightlyPass: false,
  run: (context) => compareAndRepair(context, { keysOnly: false }),
};

/**
 * Compares and repairs the replica table; with `keysOnly`, only the key sets (read from the
 * primary-key index: finds deletes and unstamped inserts at a fraction of the cost); from
 * `startAfter` for at most `maxRows` rows when given (a rolling slice).
 */
export function compareAndRepair(
  context: StrategyContext,
  options: {
    keysOnly: boolean;
    stampColumn?: string;
    startAfter?: string | null;
    maxRows?: number;
  },
): Promise<ReconcileOutcome> {
  return reconcileTable({
    source: context.source,
    replica: context.replica,
    table: context.table,
    target: context.table.name,
    rowsPerRange: context.batchSize * 10,
    log: { runId: context.runId },
    transaction: (work) => inTransaction(context.replica, work),
    ...options,
  });
}
