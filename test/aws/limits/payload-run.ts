import { ValidationError } from '../../../contract/errors';
import {
  type RunPlan,
  type RunSummary,
  RunSummarySchema,
  SummarizeInputSchema,
  type TableOutcome,
} from '../../../contract/stage';
import type { AslDefinition } from '../../../infra/limits/resolve-definition';
import { allStates } from '../../../infra/local/definition';
import { polyfillWithResolvers } from '../../../infra/local/local-runner';
import { jsonBytes } from './realistic-plan';

/** Which pipeline function a Lambda ARN of the definition is (by the function's logical id). */
export type FunctionRoles = Record<string, 'plan' | 'stage' | 'summarize'>;

/** The largest UTF-8 JSON seen at a state's boundaries. */
export interface StateSizes {
  input: number;
  output: number;
  /** What its Task handed the service (the Lambda payload, the RunTask or Publish parameters). */
  parameters: number;
}

/**
 * Runs the resolved definition in aws-local-stepfunctions (it applies ItemSelector, Parameters,
 * ResultPath and Catch as Step Functions does) with the Plan returning `plan` and every table
 * ending as `outcome` says: `succeeded`, or `failed` in its last stage the way each runner fails
 * (a Lambda error with its class, type and trace; a Fargate task stopped with an exit code). It
 * returns the largest input, output and task parameters of every state, by state name.
 */
export async function measurePayloads(
  definition: AslDefinition,
  roles: FunctionRoles,
  plan: RunPlan,
  outcome: 'succeeded' | 'failed',
): Promise<Map<string, StateSizes>> {
  polyfillWithResolvers();
  const { StateMachine } = await import('aws-local-stepfunctions');
  const sizes = new Map<string, StateSizes>();
  const note = (name: string, key: keyof StateSizes, value: unknown) => {
    const s = sizes.get(name) ?? { input: 0, output: 0, parameters: 0 };
    s[key] = Math.max(s[key], jsonBytes(value ?? null));
    sizes.set(name, s);
  };
  const handlers: Record<string, (input: unknown) => unknown> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  for (const [name, state] of allStates(definition)) {
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = state.Retry.map(() => 0);
    if (state.Type !== 'Task') continue;
    const handler = bind(name, String(state.Resource), roles, plan, outcome);
    handlers[name] = (input) => {
      note(name, 'parameters', input);
      return handler(input);
    };
  }
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const execution = machine.run({} as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      retryIntervalOverrides: retryIntervalOverrides as never,
    },
  });
  const events = (async () => {
    for await (const e of execution.eventLogs) {
      const event = e as unknown as { type: string; state?: { name: string; input: unknown } };
      const data = event as unknown as { state?: { output?: unknown } };
      if (event.type === 'StateEntered' && event.state) {
        note(event.state.name, 'input', event.state.input);
      }
      if (event.type === 'StateExited' && event.state) {
        note(event.state.name, 'output', data.state?.output);
      }
    }
  })();
  // A run with failed tables ends in its Fail state: that is the expected end, not an error.
  await execution.result.catch((error: { name?: string; cause?: { name?: string } }) => {
    if (outcome === 'succeeded' || error.cause?.name !== 'TablesFailed') throw error;
  });
  await events;
  return sizes;
}

function bind(
  name: string,
  resource: string,
  roles: FunctionRoles,
  plan: RunPlan,
  outcome: 'succeeded' | 'failed',
): (input: unknown) => unknown {
  const fn = /:function:([^:]+)$/.exec(resource)?.[1];
  const role = fn ? roles[fn] : undefined;
  if (role === 'plan') return () => plan;
  if (role === 'summarize') return (input) => summarize(input);
  if (role === 'stage') {
    return (input) => {
      const { table, stage } = input as { table: string; stage: string };
      if (outcome === 'failed' && stage === 'transform') throw lambdaError(table, stage);
      return { table, stage, status: 'succeeded', rows: 818_050, durationMs: 61_234.5, bytes: 1 };
    };
  }
  if (resource.endsWith(':sns:publish')) return () => ({ MessageId: crypto.randomUUID() });
  if (resource.endsWith(':ecs:runTask.sync')) {
    return (input) => {
      const failed = outcome === 'failed' && JSON.stringify(input).includes('"transform"');
      if (failed) throw ecsTaskFailure();
      return { StopCode: 'EssentialContainerExited', Containers: [{ ExitCode: 0 }] };
    };
  }
  throw new Error(`no payload binding for task state ${name} (${resource}): add one here`);
}

/** Step Functions' Lambda failure: Error is the class, Cause the function's error JSON. */
function lambdaError(table: string, stage: string): Error {
  const cause = new ValidationError(
    'row counts differ after the stage: 818050 in the source, 818047 in the target',
    { table, stage: stage as 'transform' },
  );
  const error = new Error(
    JSON.stringify({
      errorType: cause.name,
      errorMessage: cause.message,
      trace: (cause.stack ?? '').split('\n').slice(0, 12),
    }),
  );
  error.name = cause.name;
  return error;
}

/** `ecs:runTask.sync` when the container exits 1: States.TaskFailed, the stopped task as Cause. */
function ecsTaskFailure(): Error {
  const arn = 'arn:aws:ecs:us-east-1:123456789012';
  const task = {
    Attachments: [{ Id: crypto.randomUUID(), Status: 'DELETED', Type: 'ElasticNetworkInterface' }],
    ClusterArn: `${arn}:cluster/OpenDentalEtl-StageRunnersCluster1234ABCD-abcdefghijkl`,
    Containers: [
      {
        ContainerArn: `${arn}:container/${crypto.randomUUID()}`,
        ExitCode: 1,
        LastStatus: 'STOPPED',
        Name: 'stage',
        Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets:abc',
      },
    ],
    Cpu: '1024',
    Memory: '2048',
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    TaskArn: `${arn}:task/OpenDentalEtl/${crypto.randomUUID().replaceAll('-', '')}`,
    TaskDefinitionArn: `${arn}:task-definition/OpenDentalEtlStageTask1234ABCD:1`,
  };
  const error = new Error(JSON.stringify(task));
  error.name = 'States.TaskFailed';
  return error;
}

/** The Summarize function's output for these results, as `createSummarizeHandler` builds it. */
function summarize(input: unknown): RunSummary {
  const { runId, results } = SummarizeInputSchema.parse(input);
  const failed = results.flatMap((r: TableOutcome) =>
    r.status === 'failed'
      ? [{ table: r.table, stage: r.stage, errorClass: r.error ?? 'Error' }]
      : [],
  );
  return RunSummarySchema.parse({
    runId,
    status: failed.length > 0 ? 'failed' : 'succeeded',
    tablesTotal: results.length,
    tablesSucceeded: results.length - failed.length,
    tablesFailed: failed.length,
    failed,
    rows: 20_455_158,
  });
}
