import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Monitoring } from '../../infra/constructs/monitoring';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

let template: Template;
let ids: { machine: string; topic: string; stageFunction: string };

beforeAll(() => {
  const stack = bareStack();
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Start')),
  });
  const stageFunction = new lambda.Function(stack, 'StageFunction', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  const topic = new sns.Topic(stack, 'Topic');
  new Monitoring(stack, 'Monitoring', {
    stateMachine,
    stageFunction,
    topic,
    maxRunMinutes: 240,
    dashboardName: 'Test-pipeline',
  });
  template = Template.fromStack(stack);
  ids = {
    machine: logicalIdOf(stateMachine),
    topic: logicalIdOf(topic),
    stageFunction: logicalIdOf(stageFunction),
  };
});

describe('Monitoring', () => {
  it('alarms on failed, timed-out, aborted and too-long runs, into the alert topic', () => {
    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ExecutionTime',
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        AlarmActions: [{ Ref: ids.topic }],
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: ids.machine } }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionTime',
      Statistic: 'Maximum',
      Threshold: 240 * 60_000,
      AlarmDescription: 'A run took longer than 240 minutes',
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  it('raises an alarm on a single bad run in five minutes, and not when no run happened', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        EvaluationPeriods: 1,
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      if (alarm.Properties.MetricName !== 'ExecutionTime') {
        expect(alarm.Properties.Threshold).toBe(1);
      }
    }
  });

  it('has a dashboard of runs, run duration, stage errors and duration, and the alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'Test-pipeline',
    });
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of ['Runs', 'Run duration (ms)', 'Stage errors and duration', 'Alarms']) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    expect(body).toContain('\\"AWS/Lambda\\",\\"Errors\\"');
    expect(body).toContain('\\"AWS/Lambda\\",\\"Duration\\"');
    expect(body).toContain(ids.stageFunction);
    expect(body).toContain('\\"AWS/States\\",\\"ExecutionsSucceeded\\"');
  });
});
