import { join } from 'node:path';
import {
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PipelineConfig, TableOverride } from '../config/schema';
import { EtlStateMachine } from './constructs/etl-state-machine';
import { acknowledgeVersionWildcards } from './nag-acknowledgements';

export interface PipelineStackProps extends StackProps {
  config: PipelineConfig;
  tables: Record<string, TableOverride>;
  /** Repository root (the Fargate image's build context). */
  rootDir: string;
}

const CONNECTIONS = ['source', 'replication', 'analytics'] as const;

/**
 * The nightly OpenDental pipeline on AWS: network, secrets, Lambda and Fargate runners, the Step
 * Functions state machine, the nightly schedule, SNS (KMS) e-mail and Slack alerts, and
 * CloudWatch logs, dashboard and alarms.
 */
export class PipelineStack extends Stack {
  readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const retention = retentionFor(config.monitoring.metrics.retention_days);

    const key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'OpenDental ETL: alerts, secrets, logs and dead letters',
    });
    // CloudWatch Logs encrypts the pipeline's log groups with this key.
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`));
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const logGroup = (id: string) =>
      new logs.LogGroup(this, id, {
        retention,
        encryptionKey: key,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    // Network: an existing VPC (private subnets that reach the databases) or a new one.
    const vpc = config.aws.vpc_id
      ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: config.aws.vpc_id })
      : new ec2.Vpc(this, 'Vpc', {
          maxAzs: 2,
          natGateways: 1,
          subnetConfiguration: [
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
            { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          ],
          flowLogs: {
            all: {
              trafficType: ec2.FlowLogTrafficType.ALL,
              destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup('VpcFlowLogs')),
            },
          },
          restrictDefaultSecurityGroup: true,
        });
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const securityGroup = new ec2.SecurityGroup(this, 'RunnerSecurityGroup', {
      vpc,
      description: 'OpenDental ETL runners: outbound to the databases and AWS APIs only',
      allowAllOutbound: true,
    });

    // Credentials: one Secrets Manager secret per connection (existing by name, or a placeholder).
    const secrets = Object.fromEntries(
      CONNECTIONS.map((name) => {
        const secretId = config.connections[name].secret_id;
        const secret = secretId
          ? secretsmanager.Secret.fromSecretNameV2(this, `${name}Secret`, secretId)
          : new secretsmanager.Secret(this, `${name}Secret`, {
              description: `OpenDental ETL ${name} connection (fill in host, port, username, password)`,
              encryptionKey: key,
            });
        return [name, secret];
      }),
    ) as Record<(typeof CONNECTIONS)[number], secretsmanager.ISecret>;

    // Alerts: an encrypted topic with the configured e-mail subscriptions.
    const topic = new sns.Topic(this, 'Alerts', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'OpenDental ETL',
    });
    for (const address of config.alerts.email)
      topic.addSubscription(new subscriptions.EmailSubscription(address));

    // Runtime configuration for every runner: pipeline.yml without passwords, secret ids instead.
    const runtimeConfig: PipelineConfig = structuredClone(config);
    for (const name of CONNECTIONS) {
      runtimeConfig.connections[name].password = '';
      runtimeConfig.connections[name].secret_id = secrets[name].secretArn;
    }
    const environment = {
      PIPELINE_CONFIG: JSON.stringify(runtimeConfig),
      TABLES_CONFIG: JSON.stringify(props.tables),
      POWERTOOLS_METRICS_NAMESPACE: 'OpenDentalEtl',
      NODE_OPTIONS: '--enable-source-maps',
    };

    const fn = (
      name: string,
      entry: string,
      timeout: Duration,
      concurrency: number,
      extra: Record<string, string> = {},
    ) => {
      const f = new NodejsFunction(this, name, {
        entry: join(props.rootDir, entry),
        // Found from the repository, not the working directory: the CLI may run from anywhere.
        projectRoot: props.rootDir,
        depsLockFilePath: join(props.rootDir, 'package-lock.json'),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: config.aws.lambda_memory_mb,
        timeout,
        vpc,
        vpcSubnets: subnets,
        securityGroups: [securityGroup],
        environment: { ...environment, ...extra },
        logGroup: logGroup(`${name}Logs`),
        tracing: lambda.Tracing.ACTIVE,
        reservedConcurrentExecutions: concurrency,
        deadLetterQueue: deadLetters,
        bundling: { target: 'node22', minify: true, sourceMap: true, externalModules: [] },
      });
      for (const secret of Object.values(secrets)) secret.grantRead(f);
      return f;
    };
    const planFunction = fn('PlanFunction', 'lambdas/aws/plan.ts', Duration.minutes(5), 2);
    // Stage concurrency bounds the load on the clinic's server: the Map's parallelism plus retries.
    const stageFunction = fn(
      'StageFunction',
      'lambdas/aws/run-stage.ts',
      Duration.minutes(15),
      config.general.parallel_jobs + 2,
    );
    const summarizeFunction = fn(
      'SummarizeFunction',
      'lambdas/aws/summarize.ts',
      Duration.minutes(2),
      2,
    );

    // Slack: a notifier subscribed to the topic, the webhook URL in its own secret.
    if (config.alerts.slack_webhook_secret_id) {
      const webhook = secretsmanager.Secret.fromSecretNameV2(
        this,
        'SlackWebhook',
        config.alerts.slack_webhook_secret_id,
      );
      const notifier = fn('SlackNotifier', 'lambdas/aws/notify-slack.ts', Duration.seconds(30), 2, {
        SLACK_WEBHOOK_SECRET_ID: webhook.secretArn,
      });
      webhook.grantRead(notifier);
      topic.addSubscription(new subscriptions.LambdaSubscription(notifier));
    }

    // Fargate: the same core in a container, for tables too large for Lambda's 15 minutes.
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'StageTask', {
      cpu: config.aws.fargate_cpu,
      memoryLimitMiB: config.aws.fargate_memory_mb,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const taskLogs = logGroup('StageTaskLogs');
    const container = taskDefinition.addContainer('stage', {
      image: ecs.ContainerImage.fromAsset(props.rootDir, {
        file: 'ecs-tasks/Dockerfile',
        exclude: [
          'node_modules',
          'cdk.out',
          '.git',
          'logs',
          'bench',
          'docs',
          'test',
          'coverage',
          '.scratch',
        ],
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'stage', logGroup: taskLogs }),
      // tsx compiles into a cache: keep the root file system read-only and give it a scratch /tmp.
      environment: { ...environment, TSX_DISABLE_CACHE: '1' },
      readonlyRootFilesystem: true,
    });
    taskDefinition.addVolume({ name: 'scratch' });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'scratch', readOnly: false });
    for (const secret of Object.values(secrets)) secret.grantRead(taskDefinition.taskRole);

    const stateMachineLogs = logGroup('StateMachineLogs');
    const machine = new EtlStateMachine(this, 'Pipeline', {
      config,
      planFunction,
      stageFunction,
      summarizeFunction,
      cluster,
      taskDefinition,
      container,
      subnets,
      securityGroups: [securityGroup],
      topic,
      logGroup: stateMachineLogs,
    }).stateMachine;
    this.stateMachineArn = machine.stateMachineArn;
    const logicalId = (c: Construct) => this.getLogicalId(c.node.defaultChild as CfnElement);
    acknowledgeVersionWildcards(
      machine,
      [planFunction, stageFunction, summarizeFunction].map(logicalId),
      logicalId(taskDefinition),
    );

    // Nightly schedule (EventBridge Scheduler: cron with an IANA time zone).
    const schedulerRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    machine.grantStartExecution(schedulerRole);
    new scheduler.CfnSchedule(this, 'NightlySchedule', {
      description: 'Starts the OpenDental ETL every night',
      scheduleExpression: `cron(${config.schedule.cron})`,
      scheduleExpressionTimezone: config.schedule.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: config.schedule.enabled ? 'ENABLED' : 'DISABLED',
      target: { arn: machine.stateMachineArn, roleArn: schedulerRole.roleArn, input: '{}' },
    });

    // Monitoring: alarms on failed, timed-out and aborted runs and on a run that takes too long.
    const action = new cwActions.SnsAction(topic);
    const alarm = (
      id: string,
      metric: cloudwatch.Metric,
      threshold: number,
      description: string,
    ) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      return a;
    };
    const period = Duration.minutes(5);
    const alarms = [
      alarm('RunFailedAlarm', machine.metricFailed({ period }), 1, 'A nightly run failed'),
      alarm('RunTimedOutAlarm', machine.metricTimedOut({ period }), 1, 'A nightly run timed out'),
      alarm('RunAbortedAlarm', machine.metricAborted({ period }), 1, 'A nightly run was aborted'),
      alarm(
        'RunTooLongAlarm',
        machine.metric('ExecutionTime', { statistic: 'Maximum', period }),
        config.aws.max_run_minutes * 60_000,
        `A run took longer than ${config.aws.max_run_minutes} minutes`,
      ),
    ];
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${id}-pipeline`,
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        left: [
          machine.metricSucceeded({ period }),
          machine.metricFailed({ period }),
          machine.metricTimedOut({ period }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Run duration (ms)',
        left: [machine.metric('ExecutionTime', { statistic: 'Maximum', period })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Stage errors and duration',
        left: [stageFunction.metricErrors({ period })],
        right: [stageFunction.metricDuration({ period })],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms }),
    );

    new CfnOutput(this, 'StateMachineArn', { value: machine.stateMachineArn });
    new CfnOutput(this, 'TopicArn', { value: topic.topicArn });
  }
}

/** CloudWatch accepts only certain retention lengths: the nearest one at or above the setting. */
export function retentionFor(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}
