import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../../infra/build-app';
import { Alerts, type AlertsProps } from '../../infra/constructs/alerts';
import { bareStack, logicalIdOf, sharedResources } from '../helpers/bare-stack';

function synth(options: { emails?: string[]; slack?: boolean; reserve?: boolean } = {}) {
  const stack = bareStack({ env: { account: '123456789012', region: 'us-east-1' } });
  const shared = sharedResources(stack);
  const slack: AlertsProps['slack'] = options.slack
    ? {
        webhookSecretId: 'clinic/slack-webhook',
        functionDefaults: {
          rootDir: ROOT_DIR,
          memorySize: 256,
          network: shared.network,
          deadLetterQueue: shared.deadLetterQueue,
          logs: shared.logs,
          reserveConcurrency: options.reserve ?? false,
        },
      }
    : undefined;
  const alerts = new Alerts(stack, 'Alerts', {
    emails: options.emails ?? [],
    encryptionKey: shared.key,
    slack,
  });
  return { alerts, shared, template: Template.fromStack(stack) };
}

describe('Alerts', () => {
  it('has one topic, encrypted with the key, that accepts only TLS publishers', () => {
    const { alerts, shared, template } = synth();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(shared.key), 'Arn'] },
      DisplayName: 'OpenDental ETL',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalIdOf(alerts.topic) }],
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      }),
    });
  });

  it('subscribes each configured e-mail address, and nothing without one', () => {
    const { alerts, template } = synth({ emails: ['a@example.com', 'b@example.com'] });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const address of ['a@example.com', 'b@example.com']) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: address,
        TopicArn: { Ref: logicalIdOf(alerts.topic) },
      });
    }
    expect(alerts.slackNotifier).toBeUndefined();
    synth().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('has no Slack notifier unless a webhook secret is configured', () => {
    synth({ emails: ['a@example.com'] }).template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('subscribes a Slack notifier that reads the webhook secret, outside the VPC', () => {
    const { alerts, shared, template } = synth({ slack: true });
    const notifier = alerts.slackNotifier;
    expect(notifier).toBeDefined();
    if (!notifier) return;
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      MemorySize: 256,
      Timeout: 30,
      ReservedConcurrentExecutions: Match.absent(),
      DeadLetterConfig: {
        TargetArn: { 'Fn::GetAtt': [logicalIdOf(shared.deadLetterQueue), 'Arn'] },
      },
      // Slack is on the internet, and the runners' VPC has no NAT gateway by default.
      VpcConfig: Match.absent(),
      // Where the webhook URL is, and nothing of the pipeline's configuration.
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          SLACK_WEBHOOK_SECRET_ID: Match.objectLike({
            'Fn::Join': [
              '',
              Match.arrayWith([Match.stringLikeRegexp(':secret:clinic/slack-webhook$')]),
            ],
          }),
        },
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [logicalIdOf(notifier), 'Arn'] },
      TopicArn: { Ref: logicalIdOf(alerts.topic) },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(notifier), 'Arn'] },
      SourceArn: { Ref: logicalIdOf(alerts.topic) },
    });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalIdOf(notifier.role as iam.IRole) }] },
      }),
    );
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as { Action: unknown }[];
    const secretStatements = statements.filter((s) =>
      JSON.stringify(s.Action).includes('secretsmanager:'),
    );
    expect(secretStatements).toEqual([
      {
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            expect.arrayContaining([expect.stringMatching(/:secret:clinic\/slack-webhook-\?{6}$/)]),
          ],
        },
      },
    ]);
  });

  it('acknowledges the notifier outside the VPC, and no security group of its own', () => {
    const { alerts, template } = synth({ slack: true });
    const notifier = alerts.slackNotifier as NonNullable<typeof alerts.slackNotifier>;
    expect(notifier.isBoundToVpc).toBe(false);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1); // the shared runners' group only
    const acknowledged = notifier.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((m) => m.data as Record<string, string>);
    const reason = Object.assign({}, ...acknowledged)[
      'Annotation::HIPAA.Security-LambdaInsideVPC'
    ] as string | undefined;
    expect(reason).toMatch(/hooks\.slack\.com.*no NAT gateway/);
  });

  it('reserves the notifier’s concurrency only when the deployment opts in', () => {
    synth({ slack: true, reserve: true }).template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
    });
  });
});
