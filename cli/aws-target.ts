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
import type { RunInput } from '../contract/stage';
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

/** Runs from ListExecutions and, for the latest, each table stage from its execution history. */
export async function awsRunStatus(
  config: PipelineConfig,
  limit: number,
  clients: { sfn?: SFNClient; cloudFormation?: CloudFormationClient } = {},
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
  const latest = executions[0]?.executionArn
    ? await stagesFromHistory(sfn, executions[0].executionArn)
    : [];
  if (runs[0]) {
    runs[0].tablesTotal = new Set(latest.map((s) => s.table)).size;
    runs[0].tablesFailed = new Set(
      latest.filter((s) => s.status !== 'succeeded').map((s) => s.table),
    ).size;
  }
  return { runs, latest };
}

const STAGE_STATE = /^(Lambda|Fargate)(Extract|Load|Transform)$/;
const TERMINAL: Record<string, string> = {
  TaskSucceeded: 'succeeded',
  TaskFailed: 'failed',
  TaskTimedOut: 'timed out',
};

async function stagesFromHistory(
  sfn: SFNClient,
  executionArn: string,
): Promise<RunStatus['latest']> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const byId = new Map(events.map((e) => [e.id, e]));
  const entered = new Map<number, string>();
  const stages: RunStatus['latest'] = [];
  for (const event of events) {
    if (
      event.type === 'TaskStateEntered' &&
      STAGE_STATE.test(event.stateEnteredEventDetails?.name ?? '')
    ) {
      entered.set(event.id ?? 0, event.stateEnteredEventDetails?.name ?? '');
    }
    const terminal = TERMINAL[event.type ?? ''];
    if (!terminal) continue;
    // Walk back to the TaskScheduled event: its parameters name the table and stage.
    let scheduled: HistoryEvent | undefined = event;
    while (scheduled && scheduled.type !== 'TaskScheduled')
      scheduled = byId.get(scheduled.previousEventId ?? -1);
    const input = stageInputOfTask(safeJson(scheduled?.taskScheduledEventDetails?.parameters));
    if (!input) continue;
    const { table, stage } = input;
    const output = safeJson(event.taskSucceededEventDetails?.output);
    stages.push({
      table,
      stage,
      status: terminal,
      rows: Number((output as { rows?: number }).rows ?? 0),
      durationMs: (event.timestamp?.getTime() ?? 0) - (scheduled?.timestamp?.getTime() ?? 0),
      errorClass:
        event.taskFailedEventDetails?.error ?? (terminal === 'timed out' ? 'States.Timeout' : null),
    });
  }
  return stages;
}

function safeJson(text: string | undefined): Record<string, unknown> {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
