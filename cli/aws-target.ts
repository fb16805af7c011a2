import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { PipelineConfig } from '../config/schema';
import { stageInputOfTask } from '../contract/container-environment';
import { ConfigError } from '../contract/errors';
import {
  type RunInput,
  type RunPlan,
  RunPlanSchema,
  STAGE_NAMES,
  type StageInput,
  type StageName,
  StageOutputSchema,
} from '../contract/stage';
import type { RunStatus } from './run-status';

/**
 * `--target aws`: the deployed state machine, through the Step Functions API. Its ARN comes from
 * `aws.state_machine_arn`, else from the stack's `StateMachineArn` output.
 */
export async function stateMachineArn(
  config: PipelineConfig,
  cloudFormation = new CloudFormationClient({ region: config.aws.region }),
): Promise<string> {
  if (config.aws.state_machine_arn) return config.aws.state_machine_arn;
  const { Stacks } = await cloudFormation.send(
    new DescribeStacksCommand({ StackName: config.aws.stack_name }),
  );
  const arn = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'StateMachineArn')?.OutputValue;
  if (!arn)
    throw new ConfigError(
      `stack ${config.aws.stack_name} has no StateMachineArn output: set aws.state_machine_arn`,
    );
  return arn;
}

export function consoleLink(region: string, executionArn: string): string {
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export async function startAwsRun(
  config: PipelineConfig,
  input: RunInput,
  options: {
    wait: boolean;
    pollMs?: number;
    sfn?: SFNClient;
    cloudFormation?: CloudFormationClient;
    out?: (line: string) => void;
  },
): Promise<{ executionArn: string; status: ExecutionStatus | 'STARTED' }> {
  const out = options.out ?? ((line: string) => console.log(line));
  const sfn = options.sfn ?? new SFNClient({ region: config.aws.region });
  const arn = await stateMachineArn(config, options.cloudFormation);
  const runId =
    input.runId ?? `run-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: arn,
      name: runId,
      input: JSON.stringify({ ...input, runId }),
    }),
  );
  if (!executionArn) throw new Error('StartExecution returned no execution ARN');
  out(`Started ${executionArn}`);
  out(consoleLink(config.aws.region, executionArn));
  if (!options.wait) return { executionArn, status: 'STARTED' };
  for (;;) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status && status !== 'RUNNING' && status !== 'PENDING_REDRIVE') {
      out(`Execution ${status}`);
      return { executionArn, status };
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 10_000));
  }
}

/**
 * Runs from ListExecutions and, for the latest, each table stage from its execution history.
 * `now` dates a stage still running (its duration so far).
 */
export async function awsRunStatus(
  config: PipelineConfig,
  limit: number,
  clients: { sfn?: SFNClient; cloudFormation?: CloudFormationClient; now?: () => Date } = {},
): Promise<RunStatus> {
  const sfn = clients.sfn ?? new SFNClient({ region: config.aws.region });
  const arn = await stateMachineArn(config, clients.cloudFormation);
  const { executions = [] } = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: arn, maxResults: limit }),
  );
  const runs = executions.map((e) => ({
    runId: e.name ?? '',
    status: String(e.status ?? '').toLowerCase(),
    startedAt: e.startDate?.toISOString() ?? '',
    finishedAt: e.stopDate?.toISOString() ?? null,
    tablesTotal: 0,
    tablesFailed: 0,
  }));
  const latestArn = executions[0]?.executionArn;
  if (!latestArn || !runs[0]) return { runs, latest: [] };
  const history = await executionHistory(sfn, latestArn);
  const { plan, stages } = readHistory(history, (clients.now ?? (() => new Date()))());
  // The plan names every table of the run, also those the Map has not reached yet.
  runs[0].tablesTotal = plan?.tables.length ?? new Set(stages.map((s) => s.table)).size;
  runs[0].tablesFailed = new Set(
    stages.filter((s) => FAILED.has(s.status)).map((s) => s.table),
  ).size;
  return { runs, latest: stages };
}

async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData: true,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * A Lambda stage state (`Lambda<Stage>`) invokes the function ARN directly: its attempts are
 * LambdaFunction* events. A Fargate stage state (`Fargate<Stage>`, `ecs:runTask.sync`) records
 * Task* events. Either way each attempt begins with a scheduled event (the stage input) and ends
 * with one of these; Retry schedules the next attempt after the last one's end.
 */
const STAGE_STATE = /^(Lambda|Fargate)(Extract|Load|Transform)$/;
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
const WITHIN_TASK = new Set([
  ...SCHEDULED,
  ...Object.keys(ENDED),
  'LambdaFunctionStarted',
  'TaskStarted',
  'TaskSubmitted',
]);
const FAILED = new Set(['failed', 'timed out', 'aborted']);

/** One Task state as entered, and how its last attempt went so far. */
interface TaskVisit {
  name: string;
  stateInput: string | undefined;
  enteredAt: number;
  input: StageInput | null;
  status: string;
  endedAt: number | null;
  output: string | undefined;
  errorClass: string | null;
}

/**
 * The stages of an execution, one per stage state entered (its last attempt's outcome; duration
 * from entering the state, retries included), and the run's plan (the Plan step's output). Each
 * event is tied to its Task state through `previousEventId`, which links the events of one Map
 * iteration however the iterations interleave.
 */
function readHistory(
  events: HistoryEvent[],
  now: Date,
): { plan: RunPlan | null; stages: RunStatus['latest'] } {
  const visitOf = new Map<number, TaskVisit>();
  const visits: TaskVisit[] = [];
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
        status: 'running',
        endedAt: null,
        output: undefined,
        errorClass: null,
      };
      visits.push(visit);
      visitOf.set(event.id ?? 0, visit);
      continue;
    }
    const visit = visitOf.get(event.previousEventId ?? -1);
    if (!visit || !WITHIN_TASK.has(type)) continue;
    visitOf.set(event.id ?? 0, visit);
    if (SCHEDULED.has(type)) {
      visit.input ??= stageInputOfTask(
        safeJson(
          event.lambdaFunctionScheduledEventDetails?.input ??
            event.taskScheduledEventDetails?.parameters,
        ),
      );
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
  let plan: RunPlan | null = null;
  const stages: RunStatus['latest'] = [];
  for (const visit of visits) {
    const output = safeJson(visit.output);
    if (!STAGE_STATE.test(visit.name)) {
      const parsed = RunPlanSchema.safeParse(output);
      if (parsed.success) plan = parsed.data;
      continue;
    }
    const input = visit.input ?? inputOfState(visit);
    if (!input) continue;
    stages.push({
      table: input.table,
      stage: input.stage,
      status: visit.status,
      // A Lambda stage returns its output; a Fargate task's is in its log and the Rows metric.
      rows: StageOutputSchema.safeParse(output).data?.rows ?? null,
      durationMs: (visit.endedAt ?? now.getTime()) - visit.enteredAt,
      errorClass: visit.errorClass,
    });
  }
  const order = (stage: string) => STAGE_NAMES.indexOf(stage as StageName);
  stages.sort((a, b) => a.table.localeCompare(b.table) || order(a.stage) - order(b.stage));
  return { plan, stages };
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
 * the stage from the state's name, the table from the iteration's input (`{ item, runId }`).
 */
function inputOfState(visit: TaskVisit): { table: string; stage: string } | null {
  const stage = STAGE_STATE.exec(visit.name)?.[2]?.toLowerCase();
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
