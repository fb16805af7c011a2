import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsRunStatus, startAwsRun, stateMachineArn } from '../../cli/aws-target';
import { PipelineConfigSchema } from '../../config/schema';

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
const EXEC = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1';
const config = PipelineConfigSchema.parse({});

beforeEach(() => {
  sfn.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'OpenDentalEtl',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: ARN }],
      },
    ],
  });
});

describe('--target aws', () => {
  it('finds the state machine from config, else from the stack output', async () => {
    expect(
      await stateMachineArn({ ...config, aws: { ...config.aws, state_machine_arn: 'arn:x' } }),
    ).toBe('arn:x');
    expect(await stateMachineArn(config, new CloudFormationClient({ region: 'us-east-1' }))).toBe(
      ARN,
    );
  });

  it('starts an execution with the table input, named by the run id, and follows it with --wait', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({
        status: 'RUNNING',
        executionArn: EXEC,
        stateMachineArn: ARN,
        startDate: new Date(),
      })
      .resolves({
        status: 'FAILED',
        executionArn: EXEC,
        stateMachineArn: ARN,
        startDate: new Date(),
      });
    const lines: string[] = [];
    const result = await startAwsRun(
      config,
      { tables: ['patient', 'claim'], force: true, runId: 'run-1' },
      {
        wait: true,
        pollMs: 1,
        sfn: new SFNClient({ region: 'us-east-1' }),
        cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
        out: (l) => lines.push(l),
      },
    );
    const start = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(start).toMatchObject({ stateMachineArn: ARN, name: 'run-1' });
    expect(JSON.parse(String(start?.input))).toEqual({
      tables: ['patient', 'claim'],
      force: true,
      runId: 'run-1',
    });
    expect(result.status).toBe('FAILED');
    expect(lines[1]).toBe(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXEC}`,
    );
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
  });

  it('reads status from ListExecutions and the latest execution history', async () => {
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 1, 0, s));
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXEC,
          stateMachineArn: ARN,
          name: 'run-1',
          status: 'FAILED',
          startDate: t(0),
          stopDate: t(50),
        },
      ],
    });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 1,
          type: 'TaskScheduled',
          timestamp: t(1),
          taskScheduledEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            region: 'us-east-1',
            parameters: JSON.stringify({
              FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:StageFunction',
              Payload: {
                runId: 'run-1',
                table: 'patient',
                stage: 'extract',
                mode: 'incremental',
                strategy: 'timestamp',
                reconcile: false,
              },
            }),
          },
        },
        {
          id: 2,
          previousEventId: 1,
          type: 'TaskStarted',
          timestamp: t(1),
          taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
        },
        {
          id: 3,
          previousEventId: 2,
          type: 'TaskSucceeded',
          timestamp: t(4),
          taskSucceededEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            output: JSON.stringify({ table: 'patient', stage: 'extract', rows: 527 }),
          },
        },
        {
          id: 4,
          type: 'TaskScheduled',
          timestamp: t(5),
          taskScheduledEventDetails: {
            resourceType: 'ecs',
            resource: 'runTask.sync',
            region: 'us-east-1',
            parameters: JSON.stringify({
              Overrides: {
                ContainerOverrides: [
                  {
                    Name: 'stage',
                    Environment: [
                      { Name: 'ETL_RUN_ID', Value: 'run-1' },
                      { Name: 'ETL_TABLE', Value: 'securitylog' },
                      { Name: 'ETL_STAGE', Value: 'load' },
                      { Name: 'ETL_MODE', Value: 'incremental' },
                      { Name: 'ETL_STRATEGY', Value: 'append' },
                      { Name: 'ETL_RECONCILE', Value: 'false' },
                    ],
                  },
                ],
              },
            }),
          },
        },
        {
          id: 5,
          previousEventId: 4,
          type: 'TaskFailed',
          timestamp: t(9),
          taskFailedEventDetails: {
            resourceType: 'ecs',
            resource: 'runTask.sync',
            error: 'States.TaskFailed',
          },
        },
      ],
    });
    const status = await awsRunStatus(config, 5, {
      sfn: new SFNClient({ region: 'us-east-1' }),
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    });
    expect(status.runs).toEqual([
      {
        runId: 'run-1',
        status: 'failed',
        startedAt: t(0).toISOString(),
        finishedAt: t(50).toISOString(),
        tablesTotal: 2,
        tablesFailed: 1,
      },
    ]);
    expect(status.latest).toEqual([
      {
        table: 'patient',
        stage: 'extract',
        status: 'succeeded',
        rows: 527,
        durationMs: 3000,
        errorClass: null,
      },
      {
        table: 'securitylog',
        stage: 'load',
        status: 'failed',
        rows: 0,
        durationMs: 4000,
        errorClass: 'States.TaskFailed',
      },
    ]);
  });
});
