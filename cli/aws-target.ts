import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { stackNameOf } from '../config/environment';
import type { PipelineConfig } from '../config/schema';
import { ConfigError } from '../contract/errors';
import { type RunInput, tablesOfItems } from '../contract/stage';
import { FAILED_STATUSES, readExecutionHistory, sortStages } from './read-execution-history';
import { executionHistory, readMapRun } from './read-map-run';
import type { RunStatus } from './run-status';

/** The deployed stack of a configuration (`aws.stack_name`, `-<aws.environment>`): ARN and outputs. */
export async function describeStack(
  config: PipelineConfig,
  cloudFormation = new CloudFormationClient({ region: config.aws.region }),
): Promise<{ stackName: string; stackId: string; outputs: Record<string, string> }> {
  const stackName = stackNameOf(config.aws);
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const [stack] = Stacks ?? [];
  if (!stack?.StackId)
    throw new ConfigError(`stack ${stackName} not found in ${config.aws.region}`);
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).flatMap((o) =>
      o.OutputKey && o.OutputValue ? [[o.OutputKey, o.OutputValue]] : [],
    ),
  );
  return { stackName, stackId: stack.StackId, outputs };
}

/**
 * `--target aws`: the deployed state machine, through the Step Functions API. Its ARN comes from
 * `aws.state_machine_arn`, else from the stack's `StateMachineArn` output.
 */
export async function stateMachineArn(
  config: PipelineConfig,
  cloudFormation?: CloudFormationClient,
): Promise<string> {
  if (config.aws.state_machine_arn) return config.aws.state_machine_arn;
  const { stackName, outputs } = await describeStack(config, cloudFormation);
  const arn = outputs.StateMachineArn;
  if (!arn)
    throw new ConfigError(
      `stack ${stackName} has no StateMachineArn output: set aws.state_machine_arn`,
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
 * Runs from ListExecutions and, for the latest, every table's stages. Each table runs in a child
 * execution of the `Tables` distributed Map, so its stage events are in that child's history: the
 * parent's history gives the plan (the table count, also of tables not reached yet) and the Map
 * Run, whose children are listed and read (`readMapRun`). Stage states in the parent's own history
 * (an execution of a former inline Map) are read too. `now` dates a stage still running.
 */
export async function awsRunStatus(
  config: PipelineConfig,
  limit: number,
  clients: { sfn?: SFNClient; cloudFormation?: CloudFormationClient; now?: () => Date } = {},
): Promise<RunStatus> {
  // Adaptive retries slow down on throttling: a status read makes one call per table.
  const sfn = clients.sfn ?? new SFNClient({ region: config.aws.region, retryMode: 'adaptive' });
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
  const now = (clients.now ?? (() => new Date()))();
  const parent = readExecutionHistory(await executionHistory(sfn, latestArn), now);
  const children = parent.mapRunArn ? await readMapRun(sfn, parent.mapRunArn, now) : null;
  const latest = sortStages([...parent.stages, ...(children?.stages ?? [])]);
  // The plan names every table of the run, also those the Map has not reached yet.
  runs[0].tablesTotal =
    (parent.plan ? tablesOfItems(parent.plan.tables).length : undefined) ??
    children?.mapRun.total ??
    new Set(latest.map((s) => s.table)).size;
  runs[0].tablesFailed = new Set(
    latest.filter((s) => FAILED_STATUSES.has(s.status)).map((s) => s.table),
  ).size;
  return { runs, latest, ...(children ? { mapRun: children.mapRun } : {}) };
}
