import { z } from 'zod';
import { IDENTIFIER, type PipelineConfig, type TableOverride } from '../../config/schema';
import type { MysqlSession } from '../db/ports';
import { discoverSchema } from '../discovery/discover-schema';
import { planTables, type Runner, type Strategy, suggest } from '../discovery/table-plan';
import { ConfigError, UnknownTableError } from '../errors';

/** Execution input of the state machine (and of `etl-pipeline run`). */
export const RunInputSchema = z.strictObject({
  tables: z.array(z.string()).optional(),
  force: z.boolean().optional(),
  parallel: z.number().int().min(1).max(40).optional(),
  dryRun: z.boolean().optional(),
  reconcile: z.boolean().optional(),
  runId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional(),
});
export type RunInput = z.infer<typeof RunInputSchema>;

export interface PlannedTable {
  table: string;
  priority: number;
  runner: Runner;
  strategy: Strategy;
  strategyReason: string;
  estimatedRows: number;
  mode: 'incremental' | 'full';
  reconcile: boolean;
}

export interface RunPlan {
  runId: string;
  parallel: number;
  dryRun: boolean;
  tables: PlannedTable[];
}

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
 * The Plan step: names checked before anything runs (not identifiers → rejected outright;
 * unknown → rejected with close matches), discovery, then the selected tables in priority order
 * with their runner and strategy. Small JSON: fits the 256 KB state payload for all 422 tables.
 */
export async function planRun(
  source: MysqlSession,
  config: PipelineConfig,
  overrides: Record<string, TableOverride>,
  input: RunInput,
  now: Date = new Date(),
): Promise<RunPlan> {
  rejectMalformedTableNames(input);
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
  const plans = planTables(discovery, config, overrides).filter(
    (p) => requested.length === 0 || requested.includes(p.table),
  );
  return {
    runId: input.runId ?? `run-${now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`,
    parallel: input.parallel ?? config.general.parallel_jobs,
    dryRun: input.dryRun ?? false,
    tables: plans.map((p) => ({
      table: p.table,
      priority: p.priority,
      runner: p.runner,
      strategy: p.strategy,
      strategyReason: p.strategyReason,
      estimatedRows: p.estimatedRows,
      mode: input.force ? 'full' : 'incremental',
      reconcile: input.reconcile ?? false,
    })),
  };
}
