import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';

/** How a local Fargate task ended: its container's exit, or it never started. */
export type LocalTaskOutcome =
  | { exitCode: number | null; signal: NodeJS.Signals | null }
  | { failedToStart: string };

/** Parameters of an `ecs:runTask.sync` task state, as far as the description needs them. */
interface RunTaskParameters {
  Cluster?: string;
  TaskDefinition?: string;
  Overrides?: { ContainerOverrides?: { Name?: string }[] };
}

/**
 * The ECS task description Step Functions' `ecs:runTask.sync` reports for a stopped task: the
 * state's output on success, and on failure the Cause of `States.TaskFailed`, as compact JSON with
 * PascalCase keys in alphabetical order (the shape the state machine's Choice matches, see
 * `infra/constructs/fargate-stage.ts`). A container killed by a signal exits 128 + its number,
 * as in ECS (137 for SIGKILL); a task that never started has StopCode `TaskFailedToStart` and no
 * exit code. Only ECS metadata goes in: nothing the container printed.
 */
export function ecsTaskDescription(
  parameters: unknown,
  outcome: LocalTaskOutcome,
): Record<string, unknown> {
  const p = (parameters ?? {}) as RunTaskParameters;
  const cluster = p.Cluster ?? 'arn:aws:ecs:local:000000000000:cluster/local';
  const taskArn = `${cluster.replace(':cluster/', ':task/')}/${randomUUID().replaceAll('-', '')}`;
  const name = p.Overrides?.ContainerOverrides?.[0]?.Name ?? 'stage';
  const started = !('failedToStart' in outcome);
  const exitCode = started ? exitCodeOf(outcome) : undefined;
  return sortKeys({
    Attachments: [],
    ClusterArn: cluster,
    Containers: [
      {
        ContainerArn: taskArn.replace(':task/', ':container/'),
        ExitCode: exitCode,
        LastStatus: 'STOPPED',
        Name: name,
        Reason: started ? undefined : outcome.failedToStart,
        TaskArn: taskArn,
      },
    ],
    DesiredStatus: 'STOPPED',
    LastStatus: 'STOPPED',
    LaunchType: 'FARGATE',
    StartedBy: 'AWS Step Functions',
    StopCode: started ? 'EssentialContainerExited' : 'TaskFailedToStart',
    StoppedReason: started ? 'Essential container in task exited' : outcome.failedToStart,
    TaskArn: taskArn,
    TaskDefinitionArn: p.TaskDefinition ?? 'local',
  });
}

function exitCodeOf(outcome: { exitCode: number | null; signal: NodeJS.Signals | null }): number {
  if (outcome.exitCode !== null) return outcome.exitCode;
  const signal = outcome.signal ? constants.signals[outcome.signal] : undefined;
  return 128 + (signal ?? 9);
}

/** Alphabetical keys, undefined values dropped, as the JSON Step Functions reports. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sortKeys(v)]),
  ) as T;
}
