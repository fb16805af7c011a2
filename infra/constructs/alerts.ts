import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { acknowledgeOutsideVpc } from '../nag-acknowledgements';
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
     * What the notifier shares with the stage runners (see `StageRunners.functionDefaults`),
     * except the network: it runs outside the VPC, with its own environment and secret.
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
      // Outside the VPC: Slack (hooks.slack.com) is on the internet, and the runners' subnets
      // have no way there by default (no NAT gateway). It needs nothing in the VPC either: it
      // reads its own secret and posts the alert, which by design carries no row value.
      this.slackNotifier = new RunnerFunction(this, 'SlackNotifier', {
        ...props.slack.functionDefaults,
        network: undefined,
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
      acknowledgeOutsideVpc(this.slackNotifier);
      this.topic.addSubscription(new subscriptions.LambdaSubscription(this.slackNotifier));
    }
  }
}
