import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { RunnerFunction, type RunnerFunctionDefaults } from './runner-function';

export interface AlertsProps {
  /** `alerts.email`: each address gets an e-mail subscription (confirmed by its owner). */
  readonly emails: readonly string[];
  readonly encryptionKey: kms.IKey;
  /** With `alerts.slack_webhook_secret_id`: a Lambda function forwards every alert to Slack. */
  readonly slack?: {
    /** Name of the secret whose value is the Slack incoming-webhook URL. */
    readonly webhookSecretId: string;
    /**
     * The notifier runs beside the stage runners (see `StageRunners.functionDefaults`), in their
     * subnets but with its own security group, environment and secret.
     */
    readonly functionDefaults: RunnerFunctionDefaults;
  };
}

/**
 * The alert topic (KMS-encrypted, TLS only) the state machine publishes table failures and run
 * summaries to, and the alarms act on; its e-mail subscriptions and the optional Slack notifier.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;
  readonly slackNotifier?: RunnerFunction;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      masterKey: props.encryptionKey,
      enforceSSL: true,
      displayName: 'OpenDental ETL',
    });
    for (const address of props.emails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));

    if (props.slack) {
      // The webhook URL is a credential: it stays in its own secret, read at run time.
      const webhook = secretsmanager.Secret.fromSecretNameV2(
        this,
        'SlackWebhook',
        props.slack.webhookSecretId,
      );
      const defaults = props.slack.functionDefaults;
      // In the VPC (HIPAA.Security-LambdaInsideVPC: its egress is the runners' NAT path), but not
      // in the runners' security group: what admits the runners to the databases must not admit
      // it. It only calls Slack and Secrets Manager, over HTTPS.
      const securityGroup = new ec2.SecurityGroup(this, 'SlackNotifierSecurityGroup', {
        vpc: defaults.network.vpc,
        description: 'OpenDental ETL Slack notifier: HTTPS out only (Slack, Secrets Manager)',
        allowAllOutbound: false,
      });
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Slack and AWS');
      this.slackNotifier = new RunnerFunction(this, 'SlackNotifier', {
        ...defaults,
        network: { ...defaults.network, securityGroup },
        entry: 'lambdas/aws/notify-slack.ts',
        timeout: Duration.seconds(30),
        concurrency: 2,
        // No pipeline configuration and no database secret: only where the webhook URL is.
        environment: {
          SLACK_WEBHOOK_SECRET_ID: webhook.secretArn,
          NODE_OPTIONS: '--enable-source-maps',
        },
        secrets: [webhook],
      });
      this.topic.addSubscription(new subscriptions.LambdaSubscription(this.slackNotifier));
    }
  }
}
