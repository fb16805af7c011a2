import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  type PlannedTable,
  type RunPlan,
  type RunSummary,
  STAGE_NAMES,
  type StageName,
  type TableOutcome,
} from '../../contract/stage';
import { STATE } from '../../infra/constructs/etl-state-machine';
import type { AslDefinition } from '../../infra/local/definition';
import { type Attempt, type Branch, ExecutionHistory } from './execution-history';

/** What happens to one table: the attempts of each stage it reaches, in stage order. */
export interface TableScript {
  item: PlannedTable;
  stages: Partial<Record<StageName, Attempt[]>>;
}

/**
 * The history of one execution of the pipeline's state machine, along its real path: Plan →
 * IsDryRun → the Map, one iteration per table (ChooseRunner → the stage states of its runner; a
 * failed stage → its Catch, AlertTableFailed, TableFailed), started `iterationGapMs` apart so
 * that they interleave → Summarize → NotifySummary → AnyTableFailed. Unfinished (`finished:
 * false`), it stops where the iterations are.
 */
export async function etlExecutionHistory(options: {
  definition: AslDefinition;
  start: Date;
  runId: string;
  tables: TableScript[];
  finished: boolean;
  iterationGapMs?: number;
}): Promise<HistoryEvent[]> {
  const { runId, tables } = options;
  const history = new ExecutionHistory(options.definition, options.start);
  const top = history.branch();
  const runInput = { tables: tables.map((t) => t.item.table), runId };
  top.event('ExecutionStarted', {
    executionStartedEventDetails: {
      input: JSON.stringify(runInput),
      roleArn: 'arn:aws:iam::123456789012:role/StateMachineRole',
    },
  });
  const plan: RunPlan = { runId, parallel: tables.length, dryRun: false, tables: [] };
  plan.tables = tables.map((t) => t.item);
  await history.task(top, STATE.plan, runInput, [{ ms: 1500, output: plan }]);
  top.state('Choice', STATE.dryRun, plan);
  top
    .event('MapStateEntered', {
      stateEnteredEventDetails: { name: STATE.map, input: JSON.stringify(plan) },
    })
    .event('MapStateStarted', { mapStateStartedEventDetails: { length: tables.length } });

  const iterations: Branch[] = [];
  const results: TableOutcome[] = [];
  for (const [index, script] of tables.entries()) {
    const branch = top.fork(index * (options.iterationGapMs ?? 200));
    iterations.push(branch);
    branch.event('MapIterationStarted', {
      mapIterationStartedEventDetails: { name: STATE.map, index },
    });
    const outcome = await iteration(history, branch, runId, script);
    if (!outcome) continue;
    results.push(outcome);
    branch.event('MapIterationSucceeded', {
      mapIterationSucceededEventDetails: { name: STATE.map, index },
    });
  }
  if (!options.finished) return history.events();

  const failed = results.flatMap((r) =>
    r.status === 'failed' ? [{ table: r.table, stage: r.stage, errorClass: r.error ?? '' }] : [],
  );
  const summary: RunSummary = {
    runId,
    status: failed.length > 0 ? 'failed' : 'succeeded',
    tablesTotal: tables.length,
    tablesSucceeded: tables.length - failed.length,
    tablesFailed: failed.length,
    failed,
    rows: 0,
  };
  top
    .join(iterations)
    .event('MapStateSucceeded')
    .event('MapStateExited', { stateExitedEventDetails: { name: STATE.map, output: '{}' } });
  await history.task(top, STATE.summarize, { ...plan, results }, [{ ms: 900, output: summary }]);
  await history.task(top, STATE.notifySummary, { ...plan, results, summary }, [
    { ms: 120, output: { MessageId: 'summary-message' } },
  ]);
  top.state('Choice', STATE.anyFailed, { summary });
  if (failed.length === 0)
    top.state('Succeed', STATE.succeed, { summary }).event('ExecutionSucceeded');
  else
    top
      .event('FailStateEntered', { stateEnteredEventDetails: { name: STATE.fail, input: '{}' } })
      .event('ExecutionFailed', {
        executionFailedEventDetails: { error: 'TablesFailed', cause: 'One or more tables failed' },
      });
  return history.events();
}

/** One Map iteration: the table's stages on its runner, then its outcome (null: still running). */
async function iteration(
  history: ExecutionHistory,
  branch: Branch,
  runId: string,
  { item, stages }: TableScript,
): Promise<TableOutcome | null> {
  const input = { item, runId };
  branch.state('Choice', STATE.runner, input);
  for (const stage of STAGE_NAMES) {
    const attempts = stages[stage];
    if (!attempts) break;
    const name = item.runner === 'fargate' ? STATE.ecs(stage) : STATE.lambda(stage);
    await history.task(branch, name, input, attempts);
    const last = attempts.at(-1);
    if (!last || 'output' in last) continue;
    if ('running' in last) return null;
    const error =
      'error' in last
        ? last.error
        : 'scheduleFailed' in last
          ? last.scheduleFailed
          : 'States.Timeout';
    const failure = { ...input, failure: { Error: error, Cause: '' } };
    branch.state('Pass', STATE.failed(stage), failure);
    const outcome = { status: 'failed' as const, table: item.table, stage, error };
    const alert = { ...outcome, alert: `table ${item.table} failed in stage ${stage}` };
    await history.task(branch, STATE.alert, alert, [{ ms: 80, output: { MessageId: 'alert' } }]);
    branch.state('Pass', STATE.tableFailed, alert);
    return outcome;
  }
  branch.state('Pass', STATE.tableSucceeded, input);
  return { status: 'succeeded', table: item.table };
}
