import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { startAwsRun, stateMachineArn } from '../../cli/aws-target';
import { PipelineConfigSchema } from '../../config/schema';
import { mockStackOutputs } from '../helpers/stack-outputs';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
const EXEC = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1';
const config = PipelineConfigSchema.parse({});
const stack = mockStackOutputs(ARN);

beforeEach(() => {
  sfn.reset();
  stack.reset();
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
});
