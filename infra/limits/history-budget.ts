import type { PipelineConfig, TableOverride } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { RunnerSchema } from '../../contract/stage';
import { HISTORY_BUDGET_VARIABLE, type HistoryBudget } from '../../core/runtime';
import type { PipelineStack } from '../pipeline-stack';
import { HISTORY_EVENT_LIMIT, worstCaseHistory } from './execution-history';
import { type AslDefinition, definitionOf } from './resolve-definition';

/**
 * The tables of the OpenDental schema the pipeline is built for (24.3; `core/opendental`): what a
 * clinic runs each night, so what a deployable configuration must fit. The Plan checks the real
 * count of each run.
 */
export const OPENDENTAL_TABLE_COUNT = 422;

/**
 * The history budget of a state machine definition: the worst-case events of a run without
 * tables, and what each table adds by its runner, counted from the definition's paths (the Map
 * iteration's runner Choice is decided by a sample item of each runner).
 */
export function historyBudget(definition: AslDefinition, maxRetries: number): HistoryBudget {
  const sample = (runner: string) => ({ runner });
  const fixed = worstCaseHistory(definition, []);
  const perTable = Object.fromEntries(
    RunnerSchema.options.map((r) => {
      const one = worstCaseHistory(definition, [sample(r)]);
      if (one.childEvents > HISTORY_EVENT_LIMIT) {
        throw new ConfigError(
          `a table on ${r} may write ${one.childEvents} history events in its child execution, ` +
            `over Step Functions' ${HISTORY_EVENT_LIMIT}: lower general.max_retries`,
          { stage: 'config' },
        );
      }
      return [r, one.events - fixed.events];
    }),
  ) as HistoryBudget['perTable'];
  // The Plan adds up tables one by one: that holds only while each table costs its own events.
  const both = worstCaseHistory(definition, RunnerSchema.options.map(sample)).events;
  const sum = fixed.events + Object.values(perTable).reduce((a, b) => a + b, 0);
  if (both !== sum) {
    throw new Error(`history events are not additive per table (${both} ≠ ${sum}): nested Maps?`);
  }
  return { limit: HISTORY_EVENT_LIMIT, fixed: fixed.events, perTable, maxRetries };
}

/**
 * Counts the stack's state machine at synth: refuses a configuration whose nightly run of the
 * OpenDental tables could pass the history limit even with every table on its cheapest runner,
 * and hands the budget to the Plan function, which checks each run's real tables and runners.
 */
export function applyHistoryBudget(
  stack: PipelineStack,
  config: PipelineConfig,
  tables: Record<string, TableOverride>,
): HistoryBudget {
  const budget = historyBudget(
    definitionOf(stack, stack.pipeline.stateMachine),
    config.general.max_retries,
  );
  const excluded = Object.values(tables).filter((t) => t.exclude).length;
  const expected = Math.max(0, OPENDENTAL_TABLE_COUNT - excluded);
  const cheapest = Math.min(...Object.values(budget.perTable));
  const atLeast = budget.fixed + expected * cheapest;
  if (atLeast > budget.limit) {
    throw new ConfigError(
      `general.max_retries ${config.general.max_retries}: a nightly run of the ${expected} ` +
        `OpenDental tables may write ${atLeast} Step Functions history events (${cheapest} per ` +
        `table even on its cheapest runner), over the limit of ${budget.limit} per execution; ` +
        `Step Functions would fail such a run part-way. Lower general.max_retries.`,
      { stage: 'config' },
    );
  }
  stack.runners.planFunction.addEnvironment(HISTORY_BUDGET_VARIABLE, JSON.stringify(budget));
  return budget;
}
