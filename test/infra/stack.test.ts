import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { TRANSIENT_ERROR_NAMES } from '../../contract/errors';
import { buildApp } from '../../infra/build-app';
import { LAMBDA_TASK_CAP_SECONDS } from '../../infra/constructs/etl-state-machine';
import { allStates, synthesizeDefinition } from '../../infra/local/definition';
import type { PipelineStack } from '../../infra/pipeline-stack';
import { logicalIdOf } from '../helpers/bare-stack';

const config = loadConfig({ env: {} });
let template: Template;
let stack: PipelineStack;
let asl: ReturnType<typeof synthesizeDefinition>;

beforeAll(() => {
  ({ stack } = buildApp({ config, bundle: false }));
  template = Template.fromStack(stack);
  asl = synthesizeDefinition(config);
});

const state = (name: string) =>
  allStates(asl).find(([n]) => n === name)?.[1] as Record<string, unknown>;

describe('the CDK stack', () => {
  it('keeps logs for the configured retention, encrypted', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups).length).toBeGreaterThanOrEqual(5);
    for (const group of Object.values(groups)) {
      expect(group.Properties.RetentionInDays).toBe(30);
      expect(group.Properties.KmsKeyId).toBeDefined();
    }
  });

  it('grants no action wildcards (each construct’s test checks what its grants name)', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    expect(Object.keys(policies).length).toBeGreaterThan(0);
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
      }[]) {
        const actions = ([] as string[]).concat(statement.Action);
        expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
      }
    }
  });

  it('uses Resource "*" only for actions AWS does not scope to a resource', () => {
    // Each entry: why "*" is unavoidable (these actions take no resource ARN, or CDK's ECS
    // run-job integration needs them for task ARNs that exist only at run time).
    const starAllowed: Record<string, string> = {
      'xray:PutTraceSegments': 'X-Ray has no resource-level permissions',
      'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions',
      'xray:GetSamplingRules': 'X-Ray has no resource-level permissions',
      'xray:GetSamplingTargets': 'X-Ray has no resource-level permissions',
      'ecr:GetAuthorizationToken': 'ECR login is account-wide',
      'ecs:StopTask': 'run-job: task ARNs are created at run time',
      'ecs:DescribeTasks': 'run-job: task ARNs are created at run time',
      'logs:CreateLogDelivery': 'CloudWatch Logs delivery APIs take no resource',
      'logs:GetLogDelivery': 'CloudWatch Logs delivery APIs take no resource',
      'logs:UpdateLogDelivery': 'CloudWatch Logs delivery APIs take no resource',
      'logs:DeleteLogDelivery': 'CloudWatch Logs delivery APIs take no resource',
      'logs:ListLogDeliveries': 'CloudWatch Logs delivery APIs take no resource',
      'logs:PutResourcePolicy': 'CloudWatch Logs delivery APIs take no resource',
      'logs:DescribeResourcePolicies': 'CloudWatch Logs delivery APIs take no resource',
      'logs:DescribeLogGroups': 'CloudWatch Logs delivery APIs take no resource',
      'ec2:DescribePrefixLists':
        'EC2 Describe actions take no resource (the S3 prefix list lookup)',
    };
    const starActions = new Set<string>();
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
      }[]) {
        if (!([] as unknown[]).concat(statement.Resource).includes('*')) continue;
        for (const action of ([] as string[]).concat(statement.Action)) starActions.add(action);
      }
    }
    expect(starActions.size).toBeGreaterThan(0);
    expect([...starActions].filter((a) => !(a in starAllowed))).toEqual([]);
  });

  it('outputs the state machine and topic ARNs', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['StateMachineArn', 'TopicArn']));
  });

  it('has 0 unacknowledged cdk-nag findings (AwsSolutions and HIPAA.Security)', () => {
    const { app, stack } = buildApp({ config, bundle: false });
    for (const pack of [new AwsSolutionsChecks(app), new HIPAASecurityChecks(app)]) {
      const report = pack.validateScope(stack) as { violations?: { ruleName: string }[] };
      expect((report.violations ?? []).map((v) => v.ruleName)).toEqual([]);
    }
  });
});

describe('the CDK stack composes its constructs', () => {
  const ids = () => ({
    machine: logicalIdOf(stack.pipeline.stateMachine),
    topic: logicalIdOf(stack.alerts.topic),
    functions: [
      stack.runners.planFunction,
      stack.runners.stageFunction,
      stack.runners.summarizeFunction,
    ].map(logicalIdOf),
    taskDefinition: logicalIdOf(stack.runners.taskDefinition),
    cluster: logicalIdOf(stack.runners.cluster),
    securityGroup: logicalIdOf(stack.network.securityGroup),
  });

  it('runs the state machine on the stage runners, in the network, alerting the topic', () => {
    const { machine, topic, functions, taskDefinition, cluster, securityGroup } = ids();
    const definition = JSON.stringify(
      template.toJSON().Resources[machine].Properties.DefinitionString,
    );
    for (const id of [...functions, topic, cluster, securityGroup]) {
      expect(definition, id).toContain(`"${id}"`);
    }
    // The definition names the task definition by its family, not by a reference.
    expect(definition).toContain(
      template.toJSON().Resources[taskDefinition].Properties.Family as string,
    );
    const privateSubnets = stack.network.vpc.privateSubnets.map(logicalIdOf);
    for (const subnet of privateSubnets) expect(definition).toContain(`"${subnet}"`);
  });

  it('places every runner function in the network’s private subnets and security group', () => {
    const { planFunction, stageFunction, summarizeFunction } = stack.runners;
    const resources = template.toJSON().Resources;
    // The default network: a new VPC without NAT gateway, whose private subnets are isolated.
    const subnets = stack.network.vpc.isolatedSubnets;
    expect(subnets).toHaveLength(2);
    for (const f of [planFunction, stageFunction, summarizeFunction]) {
      expect(resources[logicalIdOf(f)].Properties.VpcConfig).toEqual({
        SecurityGroupIds: [{ 'Fn::GetAtt': [ids().securityGroup, 'GroupId'] }],
        SubnetIds: subnets.map((s) => ({ Ref: logicalIdOf(s) })),
      });
    }
  });

  it('starts the state machine on schedule and alarms into the alert topic', () => {
    const { machine, topic, functions } = ids();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ Arn: { Ref: machine } }),
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // Five on the runs (failed, timed out, aborted, near the deadline, never started), and
    // errors and throttles of each of the three functions.
    expect(alarms).toHaveLength(5 + 2 * 3);
    const dimensions = new Set<string>();
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      dimensions.add(JSON.stringify(alarm.Properties.Dimensions));
    }
    expect([...dimensions].sort()).toEqual(
      [
        [{ Name: 'StateMachineArn', Value: { Ref: machine } }],
        ...functions.map((id) => [{ Name: 'FunctionName', Value: { Ref: id } }]),
      ]
        .map((d) => JSON.stringify(d))
        .sort(),
    );
    expect(template.toJSON().Outputs).toMatchObject({
      StateMachineArn: { Value: { Ref: machine } },
      TopicArn: { Value: { Ref: topic } },
    });
  });

  it('encrypts the topic, dead letters and log groups with the one stack key', () => {
    const keys = Object.keys(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(1);
    const keyArn = { 'Fn::GetAtt': [keys[0], 'Arn'] };
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: keyArn });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.KmsKeyId).toEqual(keyArn);
    }
  });

  it('adds a Slack notifier, outside the VPC, when a webhook secret is configured', () => {
    const slackConfig = structuredClone(config);
    slackConfig.pipeline.alerts.slack_webhook_secret_id = 'opendental/slack-webhook';
    const { stack: slackStack } = buildApp({
      config: slackConfig,
      bundle: false,
      validateTemplates: false,
    });
    const notifier = slackStack.alerts.slackNotifier;
    expect(notifier).toBeDefined();
    const resources = Template.fromStack(slackStack).toJSON().Resources;
    const props = (c: Parameters<typeof logicalIdOf>[0]) => resources[logicalIdOf(c)].Properties;
    const notifierProps = props(notifier as NonNullable<typeof notifier>);
    const stageProps = props(slackStack.runners.stageFunction);
    // Its own environment (no pipeline configuration); outside the VPC, which has no way to
    // Slack: no NAT gateway by default.
    expect(Object.keys(notifierProps.Environment.Variables).sort()).toEqual([
      'NODE_OPTIONS',
      'SLACK_WEBHOOK_SECRET_ID',
    ]);
    expect(notifierProps.VpcConfig).toBeUndefined();
    expect(stageProps.VpcConfig).toBeDefined();
    expect(notifierProps.DeadLetterConfig).toEqual(stageProps.DeadLetterConfig);
    expect(notifierProps.MemorySize).toBe(stageProps.MemorySize);
  });
});

describe('the state machine definition', () => {
  it('maps over the planned tables with the concurrency from the input', () => {
    expect(state('Tables')).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.tables',
      MaxConcurrencyPath: '$.parallel',
    });
  });

  it('runs large tables as Fargate tasks with the run-job pattern, small ones in Lambda', () => {
    for (const stage of ['Extract', 'Load', 'Transform']) {
      expect(state(`Fargate${stage}`).Resource).toBe('arn:aws:states:::ecs:runTask.sync');
      expect(String(state(`Lambda${stage}`).Resource)).toMatch(/^arn:aws:lambda:/);
    }
    expect(state('ChooseRunner')).toMatchObject({
      Choices: [
        // A group of tiny tables first (test/infra/group-states.test.ts).
        { Variable: '$.item.group', IsPresent: true, Next: 'GroupExtract' },
        { Variable: '$.item.runner', StringEquals: 'fargate', Next: 'ExtractOnFargate' },
      ],
      Default: 'LambdaExtract',
    });
  });

  it('gives every task its timeout: the stage timeouts, capped below 900 s on the Lambda path', () => {
    expect(state('FargateExtract').TimeoutSeconds).toBe(30 * 60);
    expect(state('FargateLoad').TimeoutSeconds).toBe(45 * 60);
    expect(state('FargateTransform').TimeoutSeconds).toBe(60 * 60);
    for (const stage of ['Extract', 'Load', 'Transform']) {
      expect(state(`Lambda${stage}`).TimeoutSeconds).toBe(LAMBDA_TASK_CAP_SECONDS);
    }
    for (const [name, s] of allStates(asl)) {
      if (s.Type === 'Task') expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
    }
  });

  it('retries transient errors only, with the configured delay and backoff, and catches everything else', () => {
    const retry = (state('LambdaExtract').Retry as Record<string, unknown>[])[0];
    expect(retry).toMatchObject({ IntervalSeconds: 300, MaxAttempts: 3, BackoffRate: 2 });
    expect(retry?.ErrorEquals).toEqual(expect.arrayContaining([...TRANSIENT_ERROR_NAMES]));
    expect(retry?.ErrorEquals).not.toContain('States.ALL');
    expect(retry?.ErrorEquals).not.toContain('ValidationError');
    expect(state('LambdaExtract').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'ExtractFailed' },
    ]);
    // On Fargate the Parallel around the task catches (the task's own Catch classifies).
    expect(state('LoadOnFargate').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'LoadFailed' },
    ]);
  });

  it('stays inside what the local runner supports: JSONPath only, no intrinsics in a Fail state, a Map it runs inline', () => {
    const text = JSON.stringify(asl);
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('"Assign"');
    for (const [, s] of allStates(asl)) {
      if (s.Type === 'Fail') expect(s.CausePath).toBeUndefined();
      // The local engine runs a distributed Map's item processor inline (child executions are an
      // AWS concern), as long as it reads no items from S3 and writes no results there.
      if (s.Type === 'Map') {
        expect(s.ItemReader).toBeUndefined();
        expect(s.ResultWriter).toBeUndefined();
      }
    }
  });
});
