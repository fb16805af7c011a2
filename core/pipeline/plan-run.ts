import type { PipelineConfig, TableOverride } from '../../config/schema';
import { ConfigError, UnknownTableError } from '../../contract/errors';
import { IDENTIFIER, type RunInput, type RunPlan } from '../../contract/stage';
import type { MysqlSession } from '../db/ports';
import { discoverSchema } from '../discovery/discover-schema';
import { groupSmallTables } from './group-tables';
import { planTables, suggest } from './table-plan';
import { rollingShares } from './verification-budget';

/**
 * Table names that are not plain identifiers (`patient; DROP TABLE x`, backticks, quotes, unicode
 * look-alikes) are refused before any connection is opened or any SQL is built; the names are not
 * echoed.
 */
export function rejectMalformedTableNames(input: RunInput): void {
  const malformed = (input.tables ?? []).filter((t) => !IDENTIFIER.test(t));
  if (malformed.length > 0) {
    throw new ConfigError(
      `${malformed.length} table name(s) are not identifiers (ASCII letters, digits, underscore only)`,
      { stage: 'config' },
    );
  }
}

/**
 * A run may ask for fewer tables at once than the deployment is sized for, never more: the stage
 * function's reserved concurrency, the Fargate vCPUs and the clinic server's connections are
 * sized from `general.max_parallel_jobs` (fixed at deploy), while `parallel` comes with each run.
 */
export function rejectParallelAboveLimit(config: PipelineConfig, input: RunInput): void {
  const limit = config.general.max_parallel_jobs;
  if (input.parallel === undefined || input.parallel <= limit) return;
  throw new ConfigError(
    `parallel ${input.parallel} is above general.max_parallel_jobs (${limit}), the most tables at once this deployment is sized for: ask for at most ${limit}, or raise general.max_parallel_jobs (and redeploy)`,
    { stage: 'config' },
  );
}

/** The least a table over the size threshold compares a night, whatever the budget. */
const MINIMUM_ROLLING_ROWS = 10_000;

/**
 * The Plan step: names and `parallel` checked before anything runs (not identifiers → rejected
 * outright; unknown → rejected with close matches; `parallel` above the deployment's limit →
 * rejected), discovery, then the selected tables in priority order with their runner and strategy,
 * the tiny ones in groups (`group-tables.ts`). Small JSON: fits the 256 KB state payload for all
 * 422 tables.
 */
export async function planRun(
  source: MysqlSession,
  config: PipelineConfig,
  overrides: Record<string, TableOverride>,
  input: RunInput,
  now: Date = new Date(),
): Promise<RunPlan> {
  rejectMalformedTableNames(input);
  rejectParallelAboveLimit(config, input);
  const requested = input.tables ?? [];
  const discovery = await discoverSchema(source, config.connections.source.database);
  const known = discovery.tables.map((t) => t.name);
  const unknown = requested.filter((t) => !known.includes(t));
  if (unknown.length > 0) {
    throw new UnknownTableError(
      `unknown table${unknown.length > 1 ? 's' : ''}: ${unknown.map((t) => `"${t}"${suggest(t, known)}`).join(', ')}`,
      { stage: 'config' },
    );
  }
  const excluded = requested.filter((t) => overrides[t]?.exclude);
  if (excluded.length > 0) {
    throw new ConfigError(`excluded in tables.yml, so not run: ${excluded.join(', ')}`, {
      stage: 'config',
    });
  }
  const all = planTables(discovery, config, overrides);
  const plans = all.filter((p) => requested.length === 0 || requested.includes(p.table));
  const dryRun = input.dryRun ?? false;
  // Shared among all the tables, whichever a run selects: a table's bound does not depend on it.
  const shares = rollingShares(all, config.stages.extract.verification, MINIMUM_ROLLING_ROWS);
  const candidates = plans.map((p) => ({
    estimatedRows: p.estimatedRows,
    item: {
      table: p.table,
      runner: p.runner,
      strategy: p.strategy,
      mode: input.force ? ('full' as const) : ('incremental' as const),
      reconcile: input.reconcile ?? false,
      compareRows: shares.get(p.table) ?? 0,
      // What a person reads in a dry run; a run's items carry only what its tasks need.
      ...(dryRun
        ? { priority: p.priority, strategyReason: p.strategyReason, estimatedRows: p.estimatedRows }
        : {}),
    },
  }));
  return {
    runId: input.runId ?? `run-${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`,
    parallel: input.parallel ?? config.general.parallel_jobs,
    dryRun,
    // Tiny tables in groups: one Map item and one task per stage for many of them.
    tables: groupSmallTables(candidates, config.runners),
  };
}
