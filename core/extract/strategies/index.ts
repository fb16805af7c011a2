import type { TableOverride } from '../../../config/schema';
import type { Strategy } from '../../../contract/stage';
import type { DiscoveredTable } from '../../discovery/discover-schema';
import { appendStrategy } from './append';
import { fullStrategy } from './full';
import { reconcileStrategy } from './reconcile';
import type { ExtractStrategy } from './strategy';
import { timestampStrategy } from './timestamp';

/**
 * The extract strategies, one registration each. The order is the order the plan asks them
 * whether they apply to a table. Typed by the contract's enum: a name without a strategy, or a
 * strategy without a name, does not compile.
 */
export const EXTRACT_STRATEGIES: { readonly [S in Strategy]: ExtractStrategy } = {
  full: fullStrategy,
  timestamp: timestampStrategy,
  append: appendStrategy,
  reconcile: reconcileStrategy,
};

const registered = Object.entries(EXTRACT_STRATEGIES) as [Strategy, ExtractStrategy][];

/**
 * The strategy a table gets, and why: one a table's shape requires, else the one tables.yml
 * names, else the first registered strategy that applies.
 */
export function chooseStrategy(
  table: DiscoveredTable,
  override: TableOverride,
): { strategy: Strategy; reason: string } {
  for (const [strategy, s] of registered) {
    const reason = s.requiredFor?.(table);
    if (reason) return { strategy, reason };
  }
  if (override.strategy) return { strategy: override.strategy, reason: 'set in tables.yml' };
  for (const [strategy, s] of registered) {
    const reason = s.choose(table, override);
    if (reason) return { strategy, reason };
  }
  return { strategy: 'full', reason: 'no other strategy applies' };
}

/** The strategy that runs: the one asked for when it can run on the table, else a reconcile, else a full copy. */
export function runnableStrategy(table: DiscoveredTable, wanted: Strategy): Strategy {
  if (EXTRACT_STRATEGIES[wanted].canRun(table)) return wanted;
  return EXTRACT_STRATEGIES.reconcile.canRun(table) ? 'reconcile' : 'full';
}

export type { ExtractStrategy, StrategyContext, StrategyOutcome } from './strategy';
