import {
  type CfnElement,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { managedDatabaseConflicts } from '../config/databases-schema';
import type { PipelineConfig, TableOverride } from '../config/schema';
import { ConfigError } from '../contract/errors';
import { runDeadlineMinutes } from '../core/runtime';
import { Alerts } from './constructs/alerts';
import { databaseWindows } from './constructs/database-windows';
import { EtlStateMachine } from './constructs/etl-state-machine';
import { hoursBetweenRuns } from './constructs/hours-between-runs';
import { ManagedDatabases } from './constructs/managed-databases';
import { Monitoring } from './constructs/monitoring';
import { Network, NothingToDeployError } from './constructs/network';
import { NightlySchedule } from './constructs/nightly-schedule';
import { OperatorPolicy } from './constructs/operator-policy';
import {
  PipelineLogGroup,
  type PipelineLogGroupProps,
  retentionFor,
} from './constructs/pipeline-log-group';
import { Secrets } from './constructs/secrets';
import { StageRunners } from './constructs/stage-runners';
import { alarmOnVpnDown } from './constructs/vpn-alarm';
import { acknowledgeChildExecutions, acknowledgeVersionWildcards } from './nag-acknowledgements';

export interface PipelineStackProps extends StackProps {
  config: PipelineConfig;
  tables: Record<string, TableOverride>;
  /** Repository root (the Lambda entry points and the Fargate image's build context). */
  rootDir: string;
}

/**
 * The nightly OpenDental pipeline on AWS, composed of its constructs: network, secrets, Lambda
 * and Fargate runners, alerts (SNS e-mail and Slack), the Step Functions state machine, the
 * nightly schedule, and CloudWatch alarms and dashboard. The stack itself holds only what they
 * share: the KMS key, the dead-letter queue and the state machine's log group.
 */
export class PipelineStack extends Stack {
  readonly stateMachineArn: string;
  readonly network: Network;
  /** The RDS databases of `aws.databases` (none by default). */
  readonly databases: ManagedDatabases;
  readonly secrets: Secrets;
  readonly runners: StageRunners;
  readonly alerts: Alerts;
  /** The Step Functions state machine (construct id `Pipeline`). */
  readonly pipeline: EtlStateMachine;
  readonly schedule: NightlySchedule;
  readonly monitoring: Monitoring;
  /** What an operator's `etl-pipeline … --target aws` may call (output `OperatorPolicyArn`). */
  readonly operatorPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    // A configuration built in code (not loaded from YAML) is checked here too.
    const conflicts = managedDatabaseConflicts(config);
    if (conflicts.length > 0) {
      throw new ConfigError(
        conflicts.map(({ path, message }) => `${path.join('.')}: ${message}`).join('; '),
        { stage: 'config' },
      );
    }

    const key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'OpenDental ETL: alerts, secrets, logs, dead letters and databases',
    });
    // CloudWatch Logs encrypts the pipeline's log groups with this key.
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logs: PipelineLogGroupProps = {
      retention: retentionFor(config.monitoring.metrics.retention_days),
      encryptionKey: key,
    };

    const { network } = config.aws;
    if (network.type === 'local') throw new NothingToDeployError();
    this.network = new Network(this, 'Network', {
      network,
      ports: {
        source: config.connections.source.port,
        replication: config.connections.replication.port,
        analytics: config.connections.analytics.port,
      },
      logs,
      provisioned: {
        replica: config.aws.databases.replica !== undefined,
        analytics: config.aws.databases.analytics !== undefined,
      },
    });
    this.databases = new ManagedDatabases(this, 'Databases', {
      databases: config.aws.databases,
      databaseNames: {
        replica: config.connections.replication.database,
        analytics: config.connections.analytics.database,
      },
      network: this.network,
      secretsManagerEndpoint: this.network.endpoints?.interfaces.SecretsManager,
      encryptionKey: key,
      windows: databaseWindows(config.schedule, runDeadlineMinutes(config)),
    });
    this.secrets = new Secrets(this, 'Secrets', {
      connections: config.connections,
      encryptionKey: key,
      namePrefix: config.aws.environment ? this.stackName : undefined,
      managed: this.databases.secrets,
    });
    this.runners = new StageRunners(this, 'StageRunners', {
      config,
      tables: props.tables,
      rootDir: props.rootDir,
      network: this.network,
      secrets: this.secrets.byConnection,
      deadLetterQueue: deadLetters,
      logs,
    });
    const webhookSecretId = config.alerts.slack_webhook_secret_id;
    this.alerts = new Alerts(this, 'Alerts', {
      emails: config.alerts.email,
      encryptionKey: key,
      slack: webhookSecretId
        ? { webhookSecretId, functionDefaults: this.runners.functionDefaults }
        : undefined,
    });

    const runners = this.runners;
    this.pipeline = new EtlStateMachine(this, 'Pipeline', {
      config,
      planFunction: runners.planFunction,
      stageFunction: runners.stageFunction,
      summarizeFunction: runners.summarizeFunction,
      cluster: runners.cluster,
      taskDefinition: runners.taskDefinition,
      container: runners.container,
      subnets: this.network.subnets,
      securityGroups: [this.network.securityGroup],
      topic: this.alerts.topic,
      logGroup: new PipelineLogGroup(this, 'StateMachineLogs', logs),
    });
    const machine = this.pipeline.stateMachine;
    this.stateMachineArn = machine.stateMachineArn;
    // cdk-nag keys the ":*" version findings by logical id, which depends on construct nesting.
    const logicalId = (c: Construct) => this.getLogicalId(c.node.defaultChild as CfnElement);
    acknowledgeVersionWildcards(
      machine,
      [runners.planFunction, runners.stageFunction, runners.summarizeFunction].map(logicalId),
      logicalId(runners.taskDefinition),
    );
    acknowledgeChildExecutions(machine, logicalId(machine), {
      region: this.region,
      account: Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account,
    });

    this.schedule = new NightlySchedule(this, 'NightlySchedule', {
      stateMachine: machine,
      schedule: config.schedule,
    });
    // Every function of the pipeline, whichever construct made it (the Slack notifier too).
    const functions = this.node
      .findAll()
      .filter((c): c is lambda.Function => c instanceof lambda.Function)
      .filter((f) => f.deadLetterQueue === deadLetters);
    // Lambda sends a failed asynchronous event to the dead-letter queue with the function's role.
    // CDK grants sqs:SendMessage only; the queue is encrypted with the key, so sending also needs
    // kms:GenerateDataKey* (and kms:Decrypt) on it.
    for (const fn of functions) key.grant(fn, 'kms:Decrypt', 'kms:GenerateDataKey*');
    // The state machine publishes to the encrypted topic (EtlStateMachine grants it the same).
    for (const user of [machine, ...functions]) {
      Validations.of(user).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'Encrypting an SNS message or SQS dead letter with the stack key: GenerateDataKey* is the action family AWS documents for it, on this one key only.',
      });
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: machine,
      functions,
      stageFunction: runners.stageFunction,
      cluster: runners.cluster,
      topic: this.alerts.topic,
      maxRunMinutes: runDeadlineMinutes(config),
      hoursBetweenRuns: hoursBetweenRuns(config.schedule),
      dashboardName: `${id}-pipeline`,
    });

    if (this.network.vpn) alarmOnVpnDown(this.monitoring, this.network.vpn, this.alerts.topic);

    new CfnOutput(this, 'StateMachineArn', { value: machine.stateMachineArn });
    new CfnOutput(this, 'TopicArn', { value: this.alerts.topic.topicArn });
    this.operatorPolicy = new OperatorPolicy(this, 'OperatorPolicy', {
      stateMachine: machine,
    }).policy;
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: this.operatorPolicy.managedPolicyArn,
      description: 'Attach to the role or user that runs etl-pipeline --target aws',
    });
  }
}
