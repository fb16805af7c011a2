import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { NightlySchedule } from '../../infra/constructs/nightly-schedule';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

const { schedule } = loadConfig({ env: {} }).pipeline;

function synth(settings: PipelineConfig['schedule']) {
  const stack: Stack = bareStack();
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Start')),
  });
  const nightly = new NightlySchedule(stack, 'NightlySchedule', {
    stateMachine,
    schedule: settings,
  });
  return { template: Template.fromStack(stack), stateMachine, nightly };
}

describe('NightlySchedule', () => {
  it('schedules the run nightly at 1:00 AM in the configured time zone', () => {
    synth(schedule).template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 1 * * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({ Input: '{}' }),
    });
  });

  it('takes cron, time zone and enabled from the configuration', () => {
    const { template } = synth({
      cron: '30 2 ? * MON-FRI *',
      timezone: 'Europe/Berlin',
      enabled: false,
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'DISABLED',
    });
  });

  it('starts the state machine through a role that may only start that state machine', () => {
    const { template, stateMachine, nightly } = synth(schedule);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: { Ref: logicalIdOf(stateMachine) },
        RoleArn: { 'Fn::GetAtt': [logicalIdOf(nightly.role), 'Arn'] },
        Input: '{}',
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(nightly.role) }],
      PolicyDocument: Match.objectLike({
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: logicalIdOf(stateMachine) },
          },
        ],
      }),
    });
  });
});
