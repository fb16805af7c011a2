import type { HistoryEvent } from '@aws-sdk/client-sfn';
import {
  type PlannedTable,
  STAGE_NAMES,
  type StageName,
  type TableOutcome,
} from '../../contract/stage';
import { FARGATE_ERRORS } from '../../infra/constructs/fargate-stage';
import { STATE } from '../../infra/constructs/state-names';
import type { AslDefinition } from '../../infra/local/definition';
import { type Attempt, ExecutionHistory, errorOfAttempt } from './execution-history';

/**
 * What happens to one table: the attempts of each stage it reaches, in stage order. A table with
 * no stage has not started: the Map Run has not started its child execution yet.
 */
export interface TableScript {
  item: PlannedTable;
  stages: Partial<Record<StageName, Attempt[]>>;
}

/** One table's child execution of the distributed Map, as it stands. */
export interface TableExecution {
  table: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  events: HistoryEvent[];
  /** What the child returns to the Map (null while it runs). */
  outcome: TableOutcome | null;
}

/**
 * The history of a table's child execution along its real path: its input is the Map's
 * ItemSelector (`{ item, runId }`) → ChooseRunner → the stage states of its runner (a Fargate
 * stage: the `<Stage>OnFargate` Parallel around the task, a stopped task classified by the Choice
 * and relaunched by the Parallel's Retry) → TableSucceeded; a failed stage → its Catch,
 * `<Stage>Failed`, AlertTableFailed, TableFailed (the child still succeeds). `abortAtMs`: the
 * Map Run is aborted then (its parent stopped), so a child still running ends ABORTED.
 */
export async function tableExecution(
  definition: AslDefinition,
  start: Date,
  runId: string,
  { item, stages }: TableScript,
  abortAtMs?: number,
): Promise<TableExecution> {
  const history = new ExecutionHistory(definition, start);
  const input = { item, runId };
  history.event('ExecutionStarted', {
    executionStartedEventDetails: {
      input: JSON.stringify(input),
      roleArn: 'arn:aws:iam::123456789012:role/StateMachineRole',
    },
  });
  history.state('Choice', STATE.runner, input);
  const outcome = await stagesOf(history, input, stages);
  const at = (ms: number) => new Date(start.getTime() + ms);
  if (!outcome && abortAtMs !== undefined) {
    history.event('ExecutionAborted', {}, Math.max(0, abortAtMs - history.clock));
    return {
      table: item.table,
      status: 'ABORTED',
      startDate: start,
      stopDate: at(history.clock),
      events: history.events(),
      outcome,
    };
  }
  if (!outcome)
    return {
      table: item.table,
      status: 'RUNNING',
      startDate: start,
      events: history.events(),
      outcome,
    };
  history.event('ExecutionSucceeded', {
    executionSucceededEventDetails: { output: JSON.stringify(outcome) },
  });
  return {
    table: item.table,
    status: 'SUCCEEDED',
    startDate: start,
    stopDate: at(history.clock),
    events: history.events(),
    outcome,
  };
}

/** The table's stages, then its outcome (null: a stage still runs). */
async function stagesOf(
  history: ExecutionHistory,
  input: { item: PlannedTable; runId: string },
  stages: TableScript['stages'],
): Promise<TableOutcome | null> {
  const { item } = input;
  for (const stage of STAGE_NAMES) {
    const attempts = stages[stage];
    if (!attempts?.length)
      throw new Error(`the script of ${item.table} stops before ${stage} without failing`);
    if (item.runner === 'fargate') await fargateStage(history, stage, input, attempts);
    else await history.task(STATE.lambda(stage), input, attempts);
    const last = attempts.at(-1) as Attempt;
    if ('output' in last) continue;
    if ('running' in last) return null;
    // A Fargate stage fails with the Parallel's classified error, or a timeout.
    const error =
      item.runner === 'fargate' && 'error' in last
        ? last.relaunch
          ? FARGATE_ERRORS.transient
          : FARGATE_ERRORS.failed
        : (errorOfAttempt(last) ?? '');
    const failure = { ...input, failure: { Error: error, Cause: `${error} in ${stage}` } };
    history.state('Pass', STATE.failed(stage), failure);
    const outcome = { status: 'failed' as const, table: item.table, stage, error };
    const alert = { ...outcome, alert: `table ${item.table} failed in stage ${stage}` };
    await history.task(STATE.alert, alert, [{ ms: 80, output: { MessageId: 'alert' } }]);
    history.state('Pass', STATE.tableFailed, alert);
    return outcome;
  }
  history.state('Pass', STATE.tableSucceeded, input);
  return { status: 'succeeded', table: item.table };
}

/**
 * A Fargate stage: the Parallel, one launch of the task per branch run (a launch ends with an
 * attempt that stopped: `relaunch` → the Relaunch Fail, which the Parallel retries after the next
 * attempt's `waitMs`; else the Exited Fail), then the Parallel's end. A timeout passes through.
 */
async function fargateStage(
  history: ExecutionHistory,
  stage: StageName,
  input: { item: PlannedTable; runId: string },
  attempts: Attempt[],
): Promise<void> {
  const name = STATE.ecsLaunch(stage);
  history.event('ParallelStateEntered', {
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  });
  const launches: Attempt[][] = [[]];
  for (const attempt of attempts) {
    launches.at(-1)?.push(attempt);
    if ('error' in attempt && attempt.relaunch && attempt !== attempts.at(-1)) launches.push([]);
  }
  for (const [index, launch] of launches.entries()) {
    const [first, ...rest] = launch as [Attempt, ...Attempt[]];
    history.event('ParallelStateStarted', {}, index === 0 ? 0 : (first.waitMs ?? 0));
    await history.task(STATE.ecs(stage), input, [{ ...first, waitMs: 0 }, ...rest]);
    const last = launch.at(-1) as Attempt;
    if (!('error' in last)) continue;
    const stopped = { ...input, stopped: { Error: last.error, Cause: '{"StopCode":"…"}' } };
    history.state('Choice', STATE.ecsStopped(stage), stopped);
    history.event('FailStateEntered', {
      stateEnteredEventDetails: {
        name: last.relaunch ? STATE.ecsRelaunch(stage) : STATE.ecsExited(stage),
        input: JSON.stringify(stopped),
      },
    });
  }
  const last = attempts.at(-1) as Attempt;
  if ('running' in last) return;
  history.event('output' in last ? 'ParallelStateSucceeded' : 'ParallelStateFailed');
  history.event('ParallelStateExited', {
    stateExitedEventDetails: { name, output: JSON.stringify(input) },
  });
}
