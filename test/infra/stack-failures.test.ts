import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { buildApp } from '../../infra/build-app';
import { SNS_TRANSIENT_ERRORS } from '../../infra/constructs/etl-state-machine';
import { allStates, synthesizeDefinition } from '../../infra/local/definition';
import type { PipelineStack } from '../../infra/pipeline-stack';
import { logicalIdOf } from '../helpers/bare-stack';

/**
 * The stack's answers to "what happens when something fails": who may use the key to alert and to
 * dead-letter, when a hung run ends, and how every retry backs off. Read from the synthesized
 * template and its state machine definition.
 */
const config = loadConfig({ env: {} });
config.pipeline.alerts.slack_webhook_secret_id = 'opendental/slack-webhook';
let stack: PipelineStack;
let resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
let asl: ReturnType<typeof synthesizeDefinition>;

beforeAll(() => {
  ({ stack } = buildApp({ config, bundle: false, validateTemplates: false }));
  resources = Template.fromStack(stack).toJSON().Resources;
  asl = synthesizeDefinition(config);
});

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: { Service?: string };
  Condition?: unknown;
};
const actions = (s: Statement) => ([] as string[]).concat(s.Action);
const keyArn = () => ({ 'Fn::GetAtt': [logicalIdOf(stack.node.findChild('Key')), 'Arn'] });

/** The statements of every identity policy attached to a role. */
function identityStatements(roleId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function keyPolicyFor(service: string): Statement[] {
  const key = resources[logicalIdOf(stack.node.findChild('Key'))];
  if (!key) throw new Error('the stack has no key');
  return (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement.filter(
    (s) => s.Principal?.Service === service,
  );
}

const ENCRYPT_FOR_SERVICE = ['kms:Decrypt', 'kms:GenerateDataKey*'];

describe('publishing and dead-lettering through the stack key', () => {
  it('lets the state machine role use the key it must encrypt alerts with, on that key only', () => {
    const role = logicalIdOf(stack.pipeline.stateMachine.role);
    const statements = identityStatements(role);
    expect(statements.filter((s) => actions(s).includes('sns:Publish'))).not.toHaveLength(0);
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ENCRYPT_FOR_SERVICE, Resource: keyArn() }),
    ]);
  });

  it('lets every function, the Slack notifier too, send to the encrypted dead-letter queue', () => {
    const functions = [
      stack.runners.planFunction,
      stack.runners.stageFunction,
      stack.runners.summarizeFunction,
      stack.alerts.slackNotifier,
    ];
    for (const fn of functions) {
      const role = logicalIdOf(fn?.role as NonNullable<NonNullable<typeof fn>['role']>);
      const statements = identityStatements(role);
      expect(statements, role).toContainEqual(
        expect.objectContaining({ Action: 'sqs:SendMessage' }),
      );
      expect(statements, role).toContainEqual(
        expect.objectContaining({ Action: ENCRYPT_FOR_SERVICE, Resource: keyArn() }),
      );
    }
  });

  it('lets CloudWatch alarms and the EventBridge task rules use the key, and nothing more', () => {
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      expect(keyPolicyFor(service), service).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: service },
          Action: ENCRYPT_FOR_SERVICE,
          Resource: '*',
        },
      ]);
    }
  });
});

describe('a hung run', () => {
  it('ends TimedOut at aws.max_run_minutes, which the timed-out alarm reports', () => {
    expect(asl.TimeoutSeconds).toBe(config.pipeline.aws.max_run_minutes * 60);
    const machine = logicalIdOf(stack.pipeline.stateMachine);
    const timedOut = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ExecutionsTimedOut',
    );
    expect(timedOut).toHaveLength(1);
    expect(timedOut[0]?.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalIdOf(stack.alerts.topic) }],
    });
  });
});

describe('retries', () => {
  type Retrier = { IntervalSeconds?: number; MaxDelaySeconds?: number; name: string };
  const retriers = (): Retrier[] =>
    allStates(asl).flatMap(([name, s]) =>
      ((s.Retry ?? []) as Omit<Retrier, 'name'>[]).map((r) => ({ ...r, name })),
    );

  it('every Retry backs off with full jitter up to a maximum delay', () => {
    expect(retriers().length).toBeGreaterThanOrEqual(10);
    for (const retry of retriers()) {
      expect(retry, retry.name).toMatchObject({
        JitterStrategy: 'FULL',
        MaxDelaySeconds: expect.any(Number),
        BackoffRate: 2,
      });
      expect(retry.MaxDelaySeconds, retry.name).toBeGreaterThanOrEqual(retry.IntervalSeconds ?? 0);
      expect(retry.IntervalSeconds, retry.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('retries the SNS publishes on throttling and service errors, then still goes on', () => {
    for (const name of ['AlertTableFailed', 'NotifySummary']) {
      const state = allStates(asl).find(([n]) => n === name)?.[1];
      expect(state?.Retry, name).toEqual([
        expect.objectContaining({ ErrorEquals: SNS_TRANSIENT_ERRORS, MaxAttempts: 3 }),
      ]);
    }
    expect(SNS_TRANSIENT_ERRORS).toEqual(
      expect.arrayContaining(['SNS.ThrottledException', 'SNS.InternalErrorException']),
    );
  });

  it('never waits more than the first delay doubled up to 15 minutes, nor less than 1 s', () => {
    const quick = structuredClone(config);
    quick.pipeline.general.retry_delay_seconds = 0;
    const definition = synthesizeDefinition(quick);
    for (const [name, s] of allStates(definition)) {
      for (const r of (s.Retry ?? []) as { IntervalSeconds: number; MaxDelaySeconds: number }[]) {
        expect(r.IntervalSeconds, name).toBeGreaterThanOrEqual(1);
        expect(r.MaxDelaySeconds, name).toBeLessThanOrEqual(900);
      }
    }
  });
});
