import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { stageInputOfTask } from '../contract/container-environment';
import {
  type RunPlan,
  RunPlanSchema,
  STAGE_NAMES,
  type StageInput,
  type StageName,
  StageOutputSchema,
} from '../contract/stage';
import { STATE } from '../infra/constructs/state-names';
import { groupStageLines } from './read-group-stages';
import type { RunStatus } from './run-status';

export type StageLine = RunStatus['latest'][number];

/** What one execution's history says: the parent's plan and map run, each table's stages. */
export interface ExecutionReading {
  /** The Plan step's output (the parent execution): every table of the run. */
  plan: RunPlan | null;
  /** The Map Run the `Tables` state started (`MapRunStarted`): its child executions run the tables. */
  mapRunArn: string | null;
  /** One line per table and stage whose stage state this execution entered. */
  stages: StageLine[];
}

/**
 * A Lambda stage state (`Lambda<Stage>`) invokes the function ARN directly: its attempts are
 * LambdaFunction* events. A Fargate stage state (`Fargate<Stage>`, `ecs:runTask.sync`, inside the
 * `<Stage>OnFargate` Parallel that relaunches it) records Task* events. Either way each attempt
 * begins with a scheduled event (the stage input) and ends with one of these; Retry schedules the
 * next attempt after the last one's end.
 */
const STAGE_OF_STATE = new Map<string, StageName>(
  STAGE_NAMES.flatMap((s) => [
    [STATE.lambda(s), s],
    [STATE.ecs(s), s],
  ]),
);
/** The Pass state a stage's Catch enters: its input's `failure.Error` is the table's error. */
const STAGE_OF_FAILURE = new Map<string, StageName>(STAGE_NAMES.map((s) => [STATE.failed(s), s]));
const SCHEDULED = new Set(['LambdaFunctionScheduled', 'TaskScheduled']);
const ENDED: Record<string, string> = {
  LambdaFunctionSucceeded: 'succeeded',
  LambdaFunctionFailed: 'failed',
  LambdaFunctionScheduleFailed: 'failed',
  LambdaFunctionStartFailed: 'failed',
  LambdaFunctionTimedOut: 'timed out',
  TaskSucceeded: 'succeeded',
  TaskFailed: 'failed',
  TaskStartFailed: 'failed',
  TaskSubmitFailed: 'failed',
  TaskTimedOut: 'timed out',
  TaskStateAborted: 'aborted',
};
/** An execution that ends this way leaves the stage it was in with that outcome. */
const EXECUTION_ENDED: Record<string, string> = {
  ExecutionFailed: 'failed',
  ExecutionTimedOut: 'timed out',
  ExecutionAborted: 'aborted',
};
const WITHIN_TASK = new Set([
  ...SCHEDULED,
  ...Object.keys(ENDED),
  'LambdaFunctionStarted',
  'TaskStarted',
  'TaskSubmitted',
]);
export const FAILED_STATUSES = new Set(['failed', 'timed out', 'aborted']);

/** One Task state as entered, and how its last attempt went so far. */
interface TaskVisit {
  name: string;
  stateInput: string | undefined;
  enteredAt: number;
  input: StageInput | null;
  /** The scheduled input as sent (a group's stage task: its tables). */
  scheduled: Record<string, unknown> | null;
  status: string;
  endedAt: number | null;
  output: string | undefined;
  errorClass: string | null;
}

/**
 * Reads one execution's history (the parent's, or a table's child execution). A stage is one line
 * whatever its attempts: the outcome of its last attempt, the duration from first entering its
 * state (Retry waits and Fargate relaunches included), and the error its Catch recorded. Each
 * event is tied to its Task state through `previousEventId`, which links the events of one branch
 * however branches interleave. `now` dates a stage still running (its duration so far).
 */
export function readExecutionHistory(events: HistoryEvent[], now: Date): ExecutionReading {
  const visitOf = new Map<number, TaskVisit>();
  const visits: TaskVisit[] = [];
  const caught = new Map<string, string>();
  let mapRunArn: string | null = null;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp?.getTime() ?? 0;
    if (type === 'TaskStateEntered') {
      const details = event.stateEnteredEventDetails;
      const visit: TaskVisit = {
        name: details?.name ?? '',
        stateInput: details?.input,
        enteredAt: at,
        input: null,
        scheduled: null,
        status: 'running',
        endedAt: null,
        output: undefined,
        errorClass: null,
      };
      visits.push(visit);
      visitOf.set(event.id ?? 0, visit);
      continue;
    }
    if (type === 'MapRunStarted') mapRunArn = event.mapRunStartedEventDetails?.mapRunArn ?? null;
    if (type === 'PassStateEntered') recordCaught(event, caught);
    if (EXECUTION_ENDED[type]) endOpenVisits(visits, event, EXECUTION_ENDED[type], at);
    const visit = visitOf.get(event.previousEventId ?? -1);
    if (!visit || !WITHIN_TASK.has(type)) continue;
    visitOf.set(event.id ?? 0, visit);
    if (SCHEDULED.has(type)) {
      visit.scheduled ??= safeJson(
        event.lambdaFunctionScheduledEventDetails?.input ??
          event.taskScheduledEventDetails?.parameters,
      );
      visit.input ??= stageInputOfTask(visit.scheduled);
    } else if (ENDED[type]) {
      visit.status = ENDED[type];
      visit.endedAt = at;
      visit.output =
        event.lambdaFunctionSucceededEventDetails?.output ??
        event.taskSucceededEventDetails?.output;
      visit.errorClass =
        visit.status === 'succeeded'
          ? null
          : (errorOf(event) ?? (visit.status === 'timed out' ? 'States.Timeout' : null));
    }
  }
  return { plan: planOf(visits), mapRunArn, stages: stageLines(visits, caught, now) };
}

/** The stages of several executions in one order: by table, then extract → load → transform. */
export function sortStages(stages: StageLine[]): StageLine[] {
  const order = (stage: string) => STAGE_NAMES.indexOf(stage as StageName);
  return stages.sort((a, b) => a.table.localeCompare(b.table) || order(a.stage) - order(b.stage));
}

function planOf(visits: TaskVisit[]): RunPlan | null {
  let plan: RunPlan | null = null;
  for (const visit of visits) {
    if (STAGE_OF_STATE.has(visit.name)) continue;
    const parsed = RunPlanSchema.safeParse(safeJson(visit.output));
    if (parsed.success) plan = parsed.data;
  }
  return plan;
}

/** One line per table and stage: a relaunched Fargate stage enters its Task state again. */
function stageLines(visits: TaskVisit[], caught: Map<string, string>, now: Date): StageLine[] {
  const lines = new Map<string, StageLine & { enteredAt: number }>();
  for (const visit of visits) {
    if (!STAGE_OF_STATE.has(visit.name)) continue;
    const input = visit.input ?? inputOfState(visit);
    if (!input) continue;
    const key = `${input.table}\u0000${input.stage}`;
    const enteredAt = lines.get(key)?.enteredAt ?? visit.enteredAt;
    const failed = FAILED_STATUSES.has(visit.status);
    lines.set(key, {
      table: input.table,
      stage: input.stage,
      status: visit.status,
      // A Lambda stage returns its output; a Fargate task's is in its log and the Rows metric.
      rows: StageOutputSchema.safeParse(safeJson(visit.output)).data?.rows ?? null,
      durationMs: (visit.endedAt ?? now.getTime()) - enteredAt,
      // The Catch's error is the table's (a Fargate stage's classified one, not States.TaskFailed).
      errorClass: failed ? (caught.get(key) ?? visit.errorClass) : visit.errorClass,
      enteredAt,
    });
  }
  const groups = visits.flatMap((visit) => groupStageLines(visit, now));
  return sortStages([...[...lines.values()].map(({ enteredAt: _, ...line }) => line), ...groups]);
}

/** A stage's Catch entered `<Stage>Failed` with `{ item, runId, failure: { Error, Cause } }`. */
function recordCaught(event: HistoryEvent, caught: Map<string, string>): void {
  const details = event.stateEnteredEventDetails;
  const stage = STAGE_OF_FAILURE.get(details?.name ?? '');
  if (!stage) return;
  const input = safeJson(details?.input) as { item?: { table?: unknown }; failure?: unknown };
  const table = input.item?.table;
  const error = (input.failure as { Error?: unknown } | undefined)?.Error;
  if (typeof table === 'string' && typeof error === 'string')
    caught.set(`${table}\u0000${stage}`, error);
}

/** The stage an execution was in when it failed, timed out or was aborted ends with it. */
function endOpenVisits(visits: TaskVisit[], event: HistoryEvent, status: string, at: number) {
  const error =
    event.executionFailedEventDetails?.error ??
    event.executionTimedOutEventDetails?.error ??
    event.executionAbortedEventDetails?.error ??
    (status === 'timed out' ? 'States.Timeout' : null);
  for (const visit of visits) {
    if (visit.status !== 'running') continue;
    visit.status = status;
    visit.endedAt = at;
    visit.errorClass = error;
  }
}

function errorOf(event: HistoryEvent): string | undefined {
  return (
    event.lambdaFunctionFailedEventDetails?.error ??
    event.lambdaFunctionTimedOutEventDetails?.error ??
    event.lambdaFunctionScheduleFailedEventDetails?.error ??
    event.lambdaFunctionStartFailedEventDetails?.error ??
    event.taskFailedEventDetails?.error ??
    event.taskTimedOutEventDetails?.error ??
    event.taskStartFailedEventDetails?.error ??
    event.taskSubmitFailedEventDetails?.error
  );
}

/**
 * The stage of a state that never scheduled an attempt (its function could not be scheduled):
 * the stage from the state's name, the table from the execution's input (`{ item, runId }`).
 */
function inputOfState(visit: TaskVisit): { table: string; stage: string } | null {
  const stage = STAGE_OF_STATE.get(visit.name);
  const table = (safeJson(visit.stateInput).item as { table?: unknown } | undefined)?.table;
  return stage && typeof table === 'string' ? { table, stage } : null;
}

function safeJson(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = text ? JSON.parse(text) : {};
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
