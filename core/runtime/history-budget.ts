import { z } from 'zod';
import { ConfigError } from '../../contract/errors';
import { RunnerSchema, type RunPlan } from '../../contract/stage';

/**
 * What a run may cost in Step Functions history events, computed at synth from the deployed
 * state machine's definition (`infra/limits/history-budget.ts`) and handed to the Plan function
 * in this variable. The Plan knows how many tables a run has and where each runs; it refuses a
 * run whose worst case would pass the limit, because Step Functions would fail it part-way, at
 * the limit, with tables half done and the run lock held.
 */
export const HISTORY_BUDGET_VARIABLE = 'EXECUTION_HISTORY_BUDGET';

export const HistoryBudgetSchema = z.strictObject({
  /** Step Functions' limit on one execution's history. */
  limit: z.number().int().positive(),
  /** Worst-case events of a run apart from its tables (Plan, the Map itself, Summarize, …). */
  fixed: z.number().int().min(0),
  /** Worst-case events one table adds, by where it runs. */
  perTable: z.record(RunnerSchema, z.number().int().min(0)),
  /** `general.max_retries` the numbers were counted at (for the message). */
  maxRetries: z.number().int().min(0),
});
export type HistoryBudget = z.infer<typeof HistoryBudgetSchema>;

/** The worst-case history events of running `plan` on the state machine the budget describes. */
export function worstCaseEvents(plan: Pick<RunPlan, 'tables'>, budget: HistoryBudget): number {
  return plan.tables.reduce((sum, t) => sum + (budget.perTable[t.runner] ?? 0), budget.fixed);
}

/** Refuses a run that could pass the history limit (a dry run writes no history of tables). */
export function assertWithinHistoryBudget(plan: RunPlan, budget: HistoryBudget): void {
  if (plan.dryRun) return;
  const events = worstCaseEvents(plan, budget);
  if (events <= budget.limit) return;
  const fit = Math.floor(
    (budget.limit - budget.fixed) / Math.max(1, ...Object.values(budget.perTable)),
  );
  throw new ConfigError(
    `this run has ${plan.tables.length} tables; at general.max_retries ${budget.maxRetries} ` +
      `its worst case is ${events} Step Functions history events, over the limit of ` +
      `${budget.limit} per execution (a run that reaches it fails part-way). Lower ` +
      `general.max_retries, or run the tables in parts with --tables (about ${fit} at a time).`,
    { stage: 'plan' },
  );
}

/** The budget the stack gave the Plan function, if any (local runs have no history limit). */
export function historyBudgetFromEnvironment(env: NodeJS.ProcessEnv): HistoryBudget | undefined {
  const text = env[HISTORY_BUDGET_VARIABLE];
  if (!text) return undefined;
  const parsed = HistoryBudgetSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ConfigError(`${HISTORY_BUDGET_VARIABLE} is not a valid history budget`, {
      stage: 'config',
    });
  }
  return parsed.data;
}
