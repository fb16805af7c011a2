import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { FARGATE_ERRORS } from '../../infra/constructs/fargate-stage';
import { type AslState, allStates, synthesizeDefinition } from '../../infra/local/definition';
import { ecsTaskDescription } from '../../infra/local/ecs-task-description';
import { polyfillWithResolvers } from '../../infra/local/local-runner';

/**
 * The deployed definition's classification of a stopped Fargate task, run in the local engine on
 * failures shaped as Step Functions reports them for `ecs:runTask.sync`: `States.TaskFailed` with
 * the ECS task description (compact JSON, PascalCase keys in alphabetical order) as the Cause.
 */
let branch: { StartAt: string; States: Record<string, AslState> };

beforeAll(() => {
  polyfillWithResolvers();
  const definition = synthesizeDefinition(loadConfig({ env: {} }));
  const launch = allStates(definition).find(([name]) => name === 'ExtractOnFargate')?.[1];
  if (!launch) throw new Error('no state ExtractOnFargate');
  branch = (launch.Branches as (typeof branch)[])[0] as typeof branch;
});

/** A stopped task as AWS describes it, trimmed of nothing that could matter to a pattern. */
function awsCause(task: {
  exitCode?: number;
  stopCode: string;
  stoppedReason: string;
  reason?: string;
  runId?: string;
}): string {
  const arn = 'arn:aws:ecs:us-east-1:123456789012';
  const taskArn = `${arn}:task/OpenDentalEtl-Cluster/9f8e7d6c5b4a39281706f5e4d3c2b1a0`;
  return JSON.stringify({
    Attachments: [
      {
        Details: [{ Name: 'subnetId', Value: 'subnet-0a1b' }],
        Id: 'c0ffee00',
        Status: 'DELETED',
        Type: 'eni',
      },
    ],
    Attributes: [{ Name: 'ecs.cpu-architecture', Value: 'arm64' }],
    AvailabilityZone: 'us-east-1a',
    ClusterArn: `${arn}:cluster/OpenDentalEtl-Cluster`,
    Connectivity: 'CONNECTED',
    Containers: [
      {
        ContainerArn: `${arn}:container/OpenDentalEtl-Cluster/9f8e/1a2b`,
        Cpu: '0',
        ...(task.exitCode === undefined ? {} : { ExitCode: task.exitCode }),
        GpuIds: [],
        Image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/cdk-assets:abc`,
        LastStatus: 'STOPPED',
        ManagedAgents: [],
        Name: 'stage',
        NetworkBindings: [],
        NetworkInterfaces: [],
        ...(task.reason ? { Reason: task.reason } : {}),
        TaskArn: taskArn,
      },
    ],
    Cpu: '1024',
    DesiredStatus: 'STOPPED',
    Group: 'family:OpenDentalEtlStageTask',
    LastStatus: 'STOPPED',
    LaunchType: 'FARGATE',
    Memory: '2048',
    Overrides: {
      ContainerOverrides: [
        {
          Environment: [
            { Name: 'ETL_RUN_ID', Value: task.runId ?? 'run-2024-12-01' },
            { Name: 'ETL_TABLE', Value: 'procedurelog' },
          ],
          Name: 'stage',
        },
      ],
    },
    PlatformVersion: '1.4.0',
    StartedBy: 'AWS Step Functions',
    StopCode: task.stopCode,
    StoppedReason: task.stoppedReason,
    TaskArn: taskArn,
    TaskDefinitionArn: `${arn}:task-definition/OpenDentalEtlStageTask:7`,
    Version: 5,
  });
}

const exited = (exitCode: number, runId?: string) =>
  awsCause({
    exitCode,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    runId,
  });

/** Runs the stage's branch with its task failing as given; the error the branch ends with. */
async function classify(failure: { name: string; message: string; delayMs?: number }) {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const definition = structuredClone(branch);
  const task = definition.States.FargateExtract as AslState;
  task.TimeoutSeconds = 1;
  const machine = new StateMachine(definition as never);
  const item = {
    table: 'procedurelog',
    mode: 'incremental',
    strategy: 'timestamp',
    reconcile: false,
    compareRows: 0,
  };
  const execution = machine.run({ item, runId: 'r' } as never, {
    overrides: {
      taskResourceLocalHandlers: {
        FargateExtract: async () => {
          await new Promise((r) => setTimeout(r, failure.delayMs ?? 0));
          throw Object.assign(new Error(failure.message), { name: failure.name });
        },
      } as never,
      retryIntervalOverrides: { FargateExtract: 0 } as never,
    },
  });
  try {
    await execution.result;
    return 'succeeded';
  } catch (error) {
    const e = error as { name: string; cause?: { name: string } };
    return e.cause?.name ?? e.name;
  }
}

const taskFailed = (cause: string) => classify({ name: 'States.TaskFailed', message: cause });

describe('a stopped Fargate task, classified by the Cause Step Functions reports', () => {
  it('relaunches a task that failed to start (the image pull, the network, a secret)', async () => {
    for (const stoppedReason of [
      'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      'ResourceInitializationError: unable to pull secrets or registry auth',
    ]) {
      const cause = awsCause({
        stopCode: 'TaskFailedToStart',
        stoppedReason,
        reason: stoppedReason,
      });
      expect(await taskFailed(cause), stoppedReason).toBe(FARGATE_ERRORS.transient);
    }
  });

  it('relaunches a container that gave up on a transient error (exit 75)', async () => {
    expect(await taskFailed(exited(75))).toBe(FARGATE_ERRORS.transient);
  });

  it('does not relaunch a terminal exit (1), a kill (137) or another code ending in 75', async () => {
    for (const code of [1, 137, 175, 750]) {
      expect(await taskFailed(exited(code)), String(code)).toBe(FARGATE_ERRORS.failed);
    }
  });

  it('cannot be fooled by a value that spells the pattern (JSON escapes its quotes)', async () => {
    expect(await taskFailed(exited(1, 'x"ExitCode":75,y'))).toBe(FARGATE_ERRORS.failed);
  });

  it('classifies the local runner’s task descriptions the same way', async () => {
    const local = (outcome: Parameters<typeof ecsTaskDescription>[1]) =>
      taskFailed(JSON.stringify(ecsTaskDescription({}, outcome)));
    expect(await local({ exitCode: 75, signal: null })).toBe(FARGATE_ERRORS.transient);
    expect(await local({ failedToStart: 'CannotStartContainerError: ENOENT' })).toBe(
      FARGATE_ERRORS.transient,
    );
    expect(await local({ exitCode: 1, signal: null })).toBe(FARGATE_ERRORS.failed);
    expect(await local({ exitCode: null, signal: 'SIGKILL' })).toBe(FARGATE_ERRORS.failed);
  });

  it('ends other task errors as failed, and lets a timeout through by its own name', async () => {
    expect(
      await classify({ name: 'ECS.AmazonECSException', message: 'No Container Instances' }),
    ).toBe(FARGATE_ERRORS.failed);
    expect(await classify({ name: 'X', message: 'slow', delayMs: 1500 })).toBe('States.Timeout');
  });
});

describe('the local task description', () => {
  it('has the shape Step Functions reports: sorted PascalCase keys, the exit code, ECS data only', () => {
    const description = ecsTaskDescription(
      {
        Cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/C',
        TaskDefinition: 'Family',
        Overrides: { ContainerOverrides: [{ Name: 'stage' }] },
      },
      { exitCode: null, signal: 'SIGKILL' },
    );
    const keys = Object.keys(description);
    expect(keys).toEqual([...keys].sort());
    expect(description).toMatchObject({
      ClusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/C',
      Containers: [{ ExitCode: 137, LastStatus: 'STOPPED', Name: 'stage' }],
      LastStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      TaskDefinitionArn: 'Family',
    });
    expect(String(description.TaskArn)).toMatch(
      /^arn:aws:ecs:us-east-1:123456789012:task\/C\/[0-9a-f]{32}$/,
    );
  });
});
