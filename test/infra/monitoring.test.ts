import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Monitoring, type MonitoringProps } from '../../infra/constructs/monitoring';
import { bareStack, logicalIdOf, sharedResources } from '../helpers/bare-stack';

type Resource = { Type: string; Properties: Record<string, unknown> };
let template: Template;
let resources: Record<string, Resource>;
let ids: { machine: string; topic: string; key: string; functions: string[]; cluster: string };

function synth(extra: Partial<MonitoringProps> = {}) {
  const stack = bareStack({ env: { account: '123456789012', region: 'us-east-1' } });
  const { key, network } = sharedResources(stack);
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Start')),
  });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
  const functions = [fn('PlanFunction'), fn('StageFunction')];
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: network.vpc });
  new Monitoring(stack, 'Monitoring', {
    stateMachine,
    functions,
    stageFunction: functions[1] as lambda.Function,
    cluster,
    topic,
    maxRunMinutes: 240,
    hoursBetweenRuns: 24,
    dashboardName: 'Test-pipeline',
    ...extra,
  });
  const t = Template.fromStack(stack);
  return {
    template: t,
    ids: {
      machine: logicalIdOf(stateMachine),
      topic: logicalIdOf(topic),
      key: logicalIdOf(key),
      functions: functions.map(logicalIdOf),
      cluster: logicalIdOf(cluster),
    },
  };
}

beforeAll(() => {
  ({ template, ids } = synth());
  resources = template.toJSON().Resources;
});

/** The statements of a topic policy or key policy resource. */
function statementsOf(resource: Resource | undefined): Record<string, unknown>[] {
  const document = (resource?.Properties.PolicyDocument ?? resource?.Properties.KeyPolicy) as
    | { Statement: Record<string, unknown>[] }
    | undefined;
  if (!document) throw new Error('no policy document');
  return document.Statement;
}

const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm'));
const alarmOn = (metric: string) => alarms().filter((a) => a.Properties.MetricName === metric);

describe('Monitoring: the runs', () => {
  it('alarms on a failed, timed-out or aborted run, one in five minutes, and not without runs', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      expect(alarmOn(metric).map((a) => a.Properties)).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: ids.machine } }],
          AlarmActions: [{ Ref: ids.topic }],
          Threshold: 1,
          Period: 300,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ]);
    }
  });

  it('alarms on a run at 80% of its deadline, before runs start timing out', () => {
    expect(alarmOn('ExecutionTime').map((a) => a.Properties)).toEqual([
      expect.objectContaining({ Statistic: 'Maximum', Threshold: 192 * 60_000 }),
    ]);
  });

  it('alarms when no run started for the schedule’s period plus two hours (no data breaches)', () => {
    expect(alarmOn('ExecutionsStarted').map((a) => a.Properties)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: ids.machine } }],
        AlarmActions: [{ Ref: ids.topic }],
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 26,
        DatapointsToAlarm: 26,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      }),
    ]);
    // No schedule, or a weekly one (CloudWatch looks back seven days at most): no such alarm.
    for (const hoursBetweenRuns of [undefined, 168]) {
      synth({ hoursBetweenRuns }).template.resourcePropertiesCountIs(
        'AWS::CloudWatch::Alarm',
        { MetricName: 'ExecutionsStarted' },
        0,
      );
    }
  });
});

describe('Monitoring: the runners', () => {
  it('alarms on errors and on throttles of every function', () => {
    for (const metric of ['Errors', 'Throttles']) {
      const dims = alarmOn(metric).map((a) => a.Properties.Dimensions);
      expect(dims).toEqual(
        ids.functions.map((id) => [{ Name: 'FunctionName', Value: { Ref: id } }]),
      );
      for (const a of alarmOn(metric)) {
        expect(a.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          Threshold: 1,
          AlarmActions: [{ Ref: ids.topic }],
        });
      }
    }
    expect(alarms()).toHaveLength(5 + 2 * 2);
  });

  it('reports a Fargate task of the cluster that exited non-zero (not 75) or failed to start', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));
    const patterns = rules.map((r) => r.Properties.EventPattern);
    const common = {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
    };
    const stopped = {
      clusterArn: [{ 'Fn::GetAtt': [ids.cluster, 'Arn'] }],
      lastStatus: ['STOPPED'],
    };
    expect(patterns).toEqual([
      {
        ...common,
        detail: { ...stopped, containers: { exitCode: [{ 'anything-but': [0, 75] }] } },
      },
      { ...common, detail: { ...stopped, stopCode: ['TaskFailedToStart'] } },
    ]);
    for (const rule of rules) {
      const [target] = rule.Properties.Targets;
      expect(target.Arn).toEqual({ Ref: ids.topic });
      // Only ECS metadata reaches the message: no environment, overrides or container output.
      expect(Object.values(target.InputTransformer.InputPathsMap).sort()).toEqual(
        expect.arrayContaining(['$.detail.taskArn']),
      );
      for (const path of Object.values(target.InputTransformer.InputPathsMap) as string[]) {
        expect(path).toMatch(/^\$\.detail\.(taskArn|stoppedReason|containers\[0\]\.exitCode)$/);
      }
    }
  });
});

describe('Monitoring: delivery into the encrypted topic', () => {
  const topicStatements = () =>
    statementsOf(Object.values(resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy'));

  it('lets only this account’s alarms and these rules publish', () => {
    const byService = (service: string) =>
      topicStatements().filter(
        (s) => (s.Principal as { Service?: string } | undefined)?.Service === service,
      );
    expect(byService('cloudwatch.amazonaws.com')).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*'],
              ],
            },
          },
        },
      }),
    ]);
    const ruleArns = Object.keys(template.findResources('AWS::Events::Rule')).map((id) => ({
      'Fn::GetAtt': [id, 'Arn'],
    }));
    expect(byService('events.amazonaws.com')).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
      }),
    ]);
  });

  it('lets CloudWatch and EventBridge encrypt with the topic’s key', () => {
    const statements = statementsOf(resources[ids.key]);
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: service },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      });
    }
  });
});

describe('Monitoring: the dashboard', () => {
  it('shows runs, duration against the deadline, stage and Lambda errors, task failures, alarms', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'Test-pipeline',
    });
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of [
      'Runs',
      'Run duration (ms)',
      'Stage errors and duration',
      'Lambda errors and throttles',
      'Fargate task failures',
      'Alarms',
    ]) {
      expect(body).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const metric of ['ExecutionsStarted', 'ExecutionsAborted']) {
      expect(body).toContain(`\\"AWS/States\\",\\"${metric}\\"`);
    }
    expect(body).toContain('\\"AWS/Lambda\\",\\"Throttles\\"');
    expect(body).toContain('\\"AWS/Events\\",\\"TriggeredRules\\"');
    for (const id of ids.functions) expect(body).toContain(id);
  });
});
