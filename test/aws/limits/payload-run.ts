import { stageInputOfTask } from '../../../contract/container-environment';
import { ValidationError } from '../../../contract/errors';
import {
  type GroupStageInput,
  GroupStageInputSchema,
  type GroupStageOutput,
  isGroup,
  type PlannedTable,
  type RunPlan,
  type RunSummary,
  RunSummarySchema,
  STAGE_NAMES,
  type StageName,
  type StageOutput,
  SummarizeInputSchema,
  type TableOutcome,
  tableOutcomes,
} from '../../../contract/stage';
import { CONTAINER_EXIT } from '../../../core/runtime';
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

export interface PayloadRun {
  /** Every state the run entered, by name, with its largest boundaries. */
  sizes: Map<string, StateSizes>;
  /** The last output of each state, by name (a Map's, once all its items are done). */
  outputs: Map<string, unknown>;
}

/**
 * Runs the resolved definition in aws-local-stepfunctions (it applies ItemSelector, Parameters,
 * ResultSelector, ResultPath, OutputPath and Catch as Step Functions does) with the Plan returning
 * `plan`, and measures every state's input, output and task parameters, by state name.
 *
 * The engine runs a distributed Map's item processor inline: each item's states are measured as
 * its child execution would see them (its input is the ItemSelector's output), and the Map's
 * output is the array of the children's outputs, as a distributed Map without a ResultWriter
 * returns it.
 *
 * With `succeeded` every table succeeds. With `failed` every table fails the way its runner fails
 * (a Lambda error with its class, message and trace; a Fargate task that stops once on a
 * transient error, is relaunched, then exits 1), at a stage that rotates through the tables of
 * each runner, so that every failure path is measured.
 */
export async function measurePayloads(
  definition: AslDefinition,
  roles: FunctionRoles,
  plan: RunPlan,
  outcome: 'succeeded' | 'failed',
): Promise<PayloadRun> {
  polyfillWithResolvers();
  const { StateMachine } = await import('aws-local-stepfunctions');
  const sizes = new Map<string, StateSizes>();
  const outputs = new Map<string, unknown>();
  const note = (name: string, key: keyof StateSizes, value: unknown) => {
    const s = sizes.get(name) ?? { input: 0, output: 0, parameters: 0 };
    s[key] = Math.max(s[key], jsonBytes(value ?? null));
    sizes.set(name, s);
  };
  const handlers: Record<string, (input: unknown) => unknown> = {};
  const retryIntervalOverrides: Record<string, number[]> = {};
  const none = { tables: new Map<string, StageName>(), groups: new Map<string, StageName>() };
  const { tables: failing, groups: failingGroups } =
    outcome === 'failed' ? failingStages(plan) : none;
  const tasks = { plan, failing, failingGroups, relaunched: new Set<string>() };
  for (const [name, state] of allStates(definition)) {
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = state.Retry.map(() => 0);
    if (state.Type !== 'Task') continue;
    const handler = bind(name, String(state.Resource), roles, tasks);
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
      const event = e as unknown as {
        type: string;
        state?: { name: string; input: unknown; output?: unknown };
      };
      if (event.type === 'StateEntered' && event.state) {
        note(event.state.name, 'input', event.state.input);
      }
      if (event.type === 'StateExited' && event.state) {
        note(event.state.name, 'output', event.state.output);
        outputs.set(event.state.name, event.state.output);
      }
    }
  })();
  // A run with failed tables ends in its Fail state: that is the expected end, not an error.
  await execution.result.catch((error: { name?: string; cause?: { name?: string } }) => {
    if (outcome === 'succeeded' || error.cause?.name !== 'TablesFailed') throw error;
  });
  await events;
  return { sizes, outputs };
}

/**
 * The stage each table fails at: extract, load, transform, extract, … within each runner, and
 * within the groups. Every other group's task fails as a whole instead (`group-01` at extract,
 * `group-03` at load, …), so that its tables are lost together.
 */
function failingStages(plan: RunPlan): {
  tables: Map<string, StageName>;
  groups: Map<string, StageName>;
} {
  const seen = { lambda: 0, fargate: 0, group: 0, wholesale: 0 };
  const next = (kind: keyof typeof seen) =>
    STAGE_NAMES[seen[kind]++ % STAGE_NAMES.length] as StageName;
  const tables = new Map<string, StageName>();
  const groups = new Map<string, StageName>();
  plan.tables.forEach((item, index) => {
    if (!isGroup(item)) tables.set(item.table, next(item.runner));
    else if (index % 2 === 0) groups.set(item.group, next('wholesale'));
    else for (const t of item.tables) tables.set(t.table, next('group'));
  });
  return { tables, groups };
}

interface TaskBehaviour {
  plan: RunPlan;
  /** Table → the stage it fails at (none: every stage succeeds). */
  failing: Map<string, StageName>;
  /** Group → the stage its task fails at as a whole. */
  failingGroups: Map<string, StageName>;
  /** `table/stage` of the Fargate tasks that already stopped once on a transient error. */
  relaunched: Set<string>;
}

function bind(
  name: string,
  resource: string,
  roles: FunctionRoles,
  { plan, failing, failingGroups, relaunched }: TaskBehaviour,
): (input: unknown) => unknown {
  const fn = /:function:([^:]+)$/.exec(resource)?.[1];
  const role = fn ? roles[fn] : undefined;
  if (role === 'plan') return () => plan;
  if (role === 'summarize') return (input) => summarize(input);
  if (role === 'stage') {
    return (input) => {
      if ((input as { group?: string }).group !== undefined) {
        return groupStage(GroupStageInputSchema.parse(input), failing, failingGroups);
      }
      const { table, stage } = input as { table: string; stage: string };
      if (failing.get(table) === stage) throw lambdaError(table, stage);
      return stageOutput(table, stage as StageName);
    };
  }
  if (resource.endsWith(':sns:publish')) return () => ({ MessageId: crypto.randomUUID() });
  if (resource.endsWith(':ecs:runTask.sync')) {
    return (input) => {
      const task = stageInputOfTask(input);
      if (!task) throw new Error(`${name}: its parameters hold no stage input`);
      if (failing.get(task.table) === task.stage) {
        const launch = `${task.table}/${task.stage}`;
        if (relaunched.has(launch)) throw ecsTaskFailure(CONTAINER_EXIT.failed);
        relaunched.add(launch);
        throw ecsTaskFailure(CONTAINER_EXIT.transient);
      }
      return { StopCode: 'EssentialContainerExited', Containers: [{ ExitCode: 0 }] };
    };
  }
  throw new Error(`no payload binding for task state ${name} (${resource}): add one here`);
}

function stageOutput(table: string, stage: StageName): StageOutput {
  const conversions = {};
  return {
    table,
    stage,
    status: 'succeeded',
    rows: 818_050,
    durationMs: 61_234.5,
    bytes: 1,
    conversions,
  };
}

/** A group's stage task: its tables each succeed or fail (`failing`), or the task as a whole. */
function groupStage(
  input: GroupStageInput,
  failing: Map<string, StageName>,
  failingGroups: Map<string, StageName>,
): GroupStageOutput {
  if (failingGroups.get(input.group) === input.stage) throw lambdaError(input.group, input.stage);
  const fails = (t: PlannedTable) => failing.get(t.table) === input.stage;
  const tables = input.tables.filter((t) => !fails(t));
  const failed = input.tables.filter(fails).map((t) => ({
    status: 'failed' as const,
    table: t.table,
    stage: input.stage,
    error: 'ValidationError',
  }));
  return {
    group: input.group,
    stage: input.stage,
    tables,
    succeeded: tables.map((t) => t.table),
    failed: [...input.failed, ...failed],
    results: tables.map((t) => stageOutput(t.table, input.stage)),
  };
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

/** `ecs:runTask.sync` when the container exits: States.TaskFailed, the stopped task as Cause. */
function ecsTaskFailure(exitCode: number): Error {
  const arn = 'arn:aws:ecs:us-east-1:123456789012';
  const task = {
    Attachments: [{ Id: crypto.randomUUID(), Status: 'DELETED', Type: 'ElasticNetworkInterface' }],
    ClusterArn: `${arn}:cluster/OpenDentalEtl-StageRunnersCluster1234ABCD-abcdefghijkl`,
    Containers: [
      {
        ContainerArn: `${arn}:container/${crypto.randomUUID()}`,
        ExitCode: exitCode,
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
  const { runId, results: items } = SummarizeInputSchema.parse(input);
  const results = tableOutcomes(items);
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
    verification: { whole: 99_999, rolling: 99_999, skipped: 99_999, repairedRows: 999_999_999 },
  });
}
