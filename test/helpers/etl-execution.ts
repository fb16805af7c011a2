import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { RunPlan, RunSummary, TableOutcome } from '../../contract/stage';
import { STATE } from '../../infra/constructs/state-names';
import type { AslDefinition } from '../../infra/local/definition';
import { ExecutionHistory } from './execution-history';
import { type TableExecution, type TableScript, tableExecution } from './table-execution';

export type { TableScript };

const ACCOUNT = 'arn:aws:states:us-east-1:123456789012';

/** A child execution as ListExecutions (with `mapRunArn`) lists it, with its own history. */
export type ChildExecution = TableExecution & { executionArn: string; name: string };

/** One execution of the pipeline: the parent's history, its Map Run and the tables' children. */
export interface EtlExecution {
  stateMachineArn: string;
  executionArn: string;
  runId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  parent: HistoryEvent[];
  mapRunArn: string;
  /** The Map Run's child executions that have started, newest first (as ListExecutions sorts). */
  children: ChildExecution[];
  /** The tables whose child execution has not started yet. */
  pending: string[];
}

/**
 * An execution of the pipeline's state machine along its real path. The parent: Plan → IsDryRun →
 * the `Tables` distributed Map (MapStateEntered, MapStateStarted, MapRunStarted with the Map
 * Run's ARN, then MapRunSucceeded, MapStateSucceeded, MapStateExited: its outcomes replace
 * `tables`) → Summarize (only the summary goes on) → NotifySummary → AnyTableFailed. Each table
 * runs in its own child execution (`tableExecution`), started `iterationGapMs` apart. `end`:
 * `running` stops where the children are; `abortedAtMs` stops the execution then (StopExecution),
 * which aborts the Map Run and the children still running.
 */
export async function etlExecution(options: {
  definition: AslDefinition;
  start: Date;
  runId: string;
  tables: TableScript[];
  end: 'finished' | 'running' | { abortedAtMs: number };
  iterationGapMs?: number;
}): Promise<EtlExecution> {
  const { runId, tables, start, end } = options;
  const machine = 'Pipeline';
  const label = '0f1e2d3c-4b5a-3968-8776-655443322110';
  const mapRunArn = `${ACCOUNT}:mapRun:${machine}/${label}:9a8b7c6d-5e4f-3a2b-1c0d-efcdab897654`;
  const parent = new ExecutionHistory(options.definition, start);
  const runInput = { tables: tables.map((t) => t.item.table), runId };
  parent.event('ExecutionStarted', {
    executionStartedEventDetails: {
      input: JSON.stringify(runInput),
      roleArn: 'arn:aws:iam::123456789012:role/StateMachineRole',
    },
  });
  const plan: RunPlan = { runId, parallel: 10, dryRun: false, tables: tables.map((t) => t.item) };
  await parent.task(STATE.plan, runInput, [{ ms: 1500, output: plan }]);
  parent.state('Choice', STATE.dryRun, plan);
  parent
    .event('MapStateEntered', {
      stateEnteredEventDetails: { name: STATE.map, input: JSON.stringify(plan) },
    })
    .event('MapStateStarted', { mapStateStartedEventDetails: { length: tables.length } })
    .event('MapRunStarted', { mapRunStartedEventDetails: { mapRunArn } });

  const abortAtMs = typeof end === 'object' ? end.abortedAtMs : undefined;
  const children: ChildExecution[] = [];
  for (const [index, script] of tables.entries()) {
    if (Object.keys(script.stages).length === 0) continue;
    const offset = parent.clock + index * (options.iterationGapMs ?? 200);
    const childStart = new Date(start.getTime() + offset);
    const child = await tableExecution(
      options.definition,
      childStart,
      runId,
      script,
      abortAtMs === undefined ? undefined : abortAtMs - offset,
    );
    const name = `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
    children.push({
      ...child,
      name,
      executionArn: `${ACCOUNT}:execution:${machine}/${label}:${name}`,
    });
  }
  const execution = {
    stateMachineArn: `${ACCOUNT}:stateMachine:${machine}`,
    executionArn: `${ACCOUNT}:execution:${machine}:${runId}`,
    runId,
    startDate: start,
    mapRunArn,
    children: [...children].sort((a, b) => b.startDate.getTime() - a.startDate.getTime()),
    pending: tables
      .filter((t) => !children.some((c) => c.table === t.item.table))
      .map((t) => t.item.table),
  };
  const stopped = (status: EtlExecution['status']): EtlExecution => ({
    ...execution,
    status,
    parent: parent.events(),
    ...(status === 'RUNNING' ? {} : { stopDate: new Date(start.getTime() + parent.clock) }),
  });
  if (end === 'running') return stopped('RUNNING');
  if (abortAtMs !== undefined) {
    parent.event('MapRunAborted', {}, abortAtMs - parent.clock).event('MapStateAborted');
    parent.event('ExecutionAborted', { executionAbortedEventDetails: { error: 'UserStopped' } });
    return stopped('ABORTED');
  }

  const outcomes = children
    .map((c) => c.outcome)
    .filter((o): o is TableOutcome => o !== null)
    .sort((a, b) => runInput.tables.indexOf(a.table) - runInput.tables.indexOf(b.table));
  if (outcomes.length !== tables.length)
    throw new Error('a finished execution needs every table to finish');
  const failed = outcomes.flatMap((r) =>
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
  const lastStop = Math.max(...children.map((c) => (c.stopDate?.getTime() ?? 0) - start.getTime()));
  const mapped = { ...plan, tables: outcomes };
  parent
    .event('MapRunSucceeded', {}, Math.max(0, lastStop - parent.clock))
    .event('MapStateSucceeded')
    .event('MapStateExited', {
      stateExitedEventDetails: { name: STATE.map, output: JSON.stringify(mapped) },
    });
  await parent.task(STATE.summarize, mapped, [{ ms: 900, output: summary }]);
  await parent.task(STATE.notifySummary, { summary }, [
    { ms: 120, output: { MessageId: 'summary-message' } },
  ]);
  parent.state('Choice', STATE.anyFailed, { summary });
  if (failed.length === 0) {
    parent.state('Succeed', STATE.succeed, { summary }).event('ExecutionSucceeded');
    return stopped('SUCCEEDED');
  }
  parent
    .event('FailStateEntered', { stateEnteredEventDetails: { name: STATE.fail, input: '{}' } })
    .event('ExecutionFailed', {
      executionFailedEventDetails: { error: 'TablesFailed', cause: 'One or more tables failed' },
    });
  return stopped('FAILED');
}
