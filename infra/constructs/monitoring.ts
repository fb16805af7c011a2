import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CONTAINER_EXIT } from '../../core/runtime';

export interface MonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Every Lambda function of the pipeline: each one's errors and throttles raise an alarm. */
  readonly functions: readonly lambda.IFunction[];
  /** The `run-stage` function: its errors and duration go on the dashboard. */
  readonly stageFunction: lambda.IFunction;
  /** The Fargate cluster: a stage task that stops with a failure is reported. */
  readonly cluster: ecs.ICluster;
  /** Where the alarms notify (its key, if encrypted, is opened to CloudWatch and EventBridge). */
  readonly topic: sns.ITopic;
  /** The run's deadline (`runDeadlineMinutes`): runs near it raise an alarm. */
  readonly maxRunMinutes: number;
  /**
   * Longest time between scheduled runs (`hoursBetweenRuns`). None, or more than seven days less
   * the grace: no missed-run alarm.
   */
  readonly hoursBetweenRuns?: number;
  readonly dashboardName: string;
}

/** A run that takes this share of its deadline raises an alarm, before runs start timing out. */
export const NEAR_DEADLINE_SHARE = 0.8;
/** Grace after the expected start before a missing run raises an alarm. */
export const MISSED_RUN_GRACE_HOURS = 2;

/**
 * CloudWatch alarms into the alert topic: failed, timed-out and aborted runs (a hung run ends
 * timed out at its deadline), a run close to its deadline, a run that never started, and each
 * Lambda function's errors and throttles; EventBridge rules report every Fargate stage task that
 * stops with a failure (PHI-free: ECS metadata only). A dashboard shows them all.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly taskFailures: events.Rule[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stateMachine: machine, topic } = props;
    allowAlarmsToPublish(this, topic);
    const action = new cwActions.SnsAction(topic);
    const alarm = (id: string, options: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, options);
      a.addAlarmAction(action);
      return a;
    };
    // One run a night: a single failed, timed-out or aborted execution in any period is an alarm;
    // no data (no run in the period) is not.
    const anyIn = (id: string, metric: cloudwatch.IMetric, description: string) =>
      alarm(id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    const period = Duration.minutes(5);
    const nearDeadline = Math.round(props.maxRunMinutes * NEAR_DEADLINE_SHARE);
    const duration = machine.metric('ExecutionTime', { statistic: 'Maximum', period });
    this.alarms = [
      anyIn('RunFailedAlarm', machine.metricFailed({ period }), 'A nightly run failed'),
      anyIn(
        'RunTimedOutAlarm',
        machine.metricTimedOut({ period }),
        `A nightly run timed out: it ran ${props.maxRunMinutes} minutes (aws.max_run_minutes)`,
      ),
      anyIn('RunAbortedAlarm', machine.metricAborted({ period }), 'A nightly run was aborted'),
      alarm('RunTooLongAlarm', {
        metric: duration,
        threshold: nearDeadline * 60_000,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `A run took ${nearDeadline} of its ${props.maxRunMinutes} minutes (aws.max_run_minutes): raise the deadline or find the slow tables before runs time out`,
      }),
    ];
    const hours = (props.hoursBetweenRuns ?? Number.POSITIVE_INFINITY) + MISSED_RUN_GRACE_HOURS;
    // CloudWatch evaluates at most seven days of hourly periods: a weekly schedule gets none.
    if (hours <= 7 * 24) {
      // Hourly sums: an hour with no start is missing data, which counts as breaching here.
      this.alarms.push(
        alarm('RunMissedAlarm', {
          metric: machine.metricStarted({ period: Duration.hours(1), statistic: 'Sum' }),
          threshold: 1,
          evaluationPeriods: hours,
          datapointsToAlarm: hours,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          alarmDescription: `No run started in ${hours} hours: is the schedule enabled, and can it start the state machine?`,
        }),
      );
    }
    for (const fn of props.functions) {
      const name = fn.node.id;
      this.alarms.push(
        anyIn(`${name}ErrorsAlarm`, fn.metricErrors({ period }), `${name}: invocations failed`),
        anyIn(
          `${name}ThrottlesAlarm`,
          fn.metricThrottles({ period }),
          `${name}: invocations were throttled`,
        ),
      );
    }
    this.taskFailures = fargateTaskFailures(this, props.cluster, topic);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        left: [
          machine.metricStarted({ period }),
          machine.metricSucceeded({ period }),
          machine.metricFailed({ period }),
          machine.metricTimedOut({ period }),
          machine.metricAborted({ period }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Run duration (ms)',
        left: [duration],
        leftAnnotations: [
          { value: props.maxRunMinutes * 60_000, label: 'deadline' },
          { value: nearDeadline * 60_000, label: 'alarm' },
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Stage errors and duration',
        left: [props.stageFunction.metricErrors({ period })],
        right: [props.stageFunction.metricDuration({ period })],
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda errors and throttles',
        left: props.functions.map((fn) =>
          fn.metricErrors({ period, label: `${fn.node.id} errors` }),
        ),
        right: props.functions.map((fn) =>
          fn.metricThrottles({ period, label: `${fn.node.id} throttles` }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Fargate task failures',
        left: this.taskFailures.map(
          (rule) =>
            new cloudwatch.Metric({
              namespace: 'AWS/Events',
              metricName: 'TriggeredRules',
              dimensionsMap: { RuleName: rule.ruleName },
              statistic: 'Sum',
              period,
              label: rule.node.id,
            }),
        ),
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms }),
    );
  }
}

/**
 * CloudWatch alarms publish as the service principal `cloudwatch.amazonaws.com`. The topic policy
 * must allow it (only for this account's alarms), and, the topic being encrypted, the key policy
 * must let it use the key: otherwise alarm notifications are dropped, visible only in the alarm's
 * history. The key statement carries no condition (CloudWatch's KMS call is made for the topic,
 * which only this account's alarms may publish to).
 */
function allowAlarmsToPublish(scope: Construct, topic: sns.ITopic): void {
  const { account, region, partition } = Stack.of(scope);
  const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowThisAccountsAlarms',
      principals: [cloudwatchPrincipal],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
      },
    }),
  );
  topic.masterKey?.grant(cloudwatchPrincipal, 'kms:Decrypt', 'kms:GenerateDataKey*');
}

/**
 * EventBridge rules on the cluster's "ECS Task State Change" events → the topic: a stage task
 * whose container exited with a code other than 0 and CONTAINER_EXIT.transient (with the exit
 * code), and a task that failed to start (with ECS's reason). Each message carries only fields its
 * pattern guarantees, all ECS metadata (no PHI). Exit 75 is left out: the state machine relaunches
 * those, and alerts if relaunching runs out. EventBridge publishes as `events.amazonaws.com`: the
 * topic policy allows it for these rules only; its KMS call carries no source condition keys, so
 * the key statement has none.
 */
function fargateTaskFailures(scope: Construct, cluster: ecs.ICluster, topic: sns.ITopic) {
  const field = (path: string) => events.EventField.fromPath(path);
  const stopped = { clusterArn: [cluster.clusterArn], lastStatus: ['STOPPED'] };
  const notExitedCleanly = [{ 'anything-but': [CONTAINER_EXIT.ok, CONTAINER_EXIT.transient] }];
  const rules = [
    toTopic(scope, 'FargateTaskExited', topic, {
      detail: { ...stopped, containers: { exitCode: notExitedCleanly } },
      message: {
        alert: 'OpenDental ETL: a Fargate stage task exited with a failure',
        exitCode: field('$.detail.containers[0].exitCode'),
        task: field('$.detail.taskArn'),
        next: 'Its log (stream prefix stage) names the table, stage and error class',
      },
    }),
    toTopic(scope, 'FargateTaskNotStarted', topic, {
      detail: { ...stopped, stopCode: ['TaskFailedToStart'] },
      message: {
        alert: 'OpenDental ETL: a Fargate stage task failed to start (it is relaunched)',
        stoppedReason: field('$.detail.stoppedReason'),
        task: field('$.detail.taskArn'),
      },
    }),
  ];
  const eventsPrincipal = new iam.ServicePrincipal('events.amazonaws.com');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowTheFargateTaskRules',
      principals: [eventsPrincipal],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': rules.map((r) => r.ruleArn) } },
    }),
  );
  topic.masterKey?.grant(eventsPrincipal, 'kms:Decrypt', 'kms:GenerateDataKey*');
  return rules;
}

function toTopic(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  options: { detail: Record<string, unknown>; message: Record<string, unknown> },
): events.Rule {
  const rule = new events.Rule(scope, id, {
    description: String(options.message.alert),
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      detail: options.detail,
    },
  });
  // A plain target: the publish permission is the topic policy above, scoped to these rules.
  rule.addTarget({
    bind: () => ({
      arn: topic.topicArn,
      targetResource: topic,
      input: events.RuleTargetInput.fromObject(options.message),
    }),
  });
  return rule;
}
