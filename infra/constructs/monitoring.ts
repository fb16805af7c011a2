import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  /** The `run-stage` function: its errors and duration go on the dashboard. */
  readonly stageFunction: lambda.IFunction;
  /** Where the alarms notify. */
  readonly topic: sns.ITopic;
  /** `aws.max_run_minutes`: a run that takes longer raises an alarm. */
  readonly maxRunMinutes: number;
  readonly dashboardName: string;
}

/**
 * CloudWatch alarms on failed, timed-out and aborted runs and on a run that takes too long, each
 * notifying the alert topic, and a dashboard of runs, run duration and stage errors.
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const machine = props.stateMachine;
    const action = new cwActions.SnsAction(props.topic);
    // One run a night: a single failed, timed-out or aborted execution in any period is an alarm;
    // no data (no run in the period) is not.
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
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
    this.alarms = [
      alarm('RunFailedAlarm', machine.metricFailed({ period }), 1, 'A nightly run failed'),
      alarm('RunTimedOutAlarm', machine.metricTimedOut({ period }), 1, 'A nightly run timed out'),
      alarm('RunAbortedAlarm', machine.metricAborted({ period }), 1, 'A nightly run was aborted'),
      alarm(
        'RunTooLongAlarm',
        machine.metric('ExecutionTime', { statistic: 'Maximum', period }),
        props.maxRunMinutes * 60_000,
        `A run took longer than ${props.maxRunMinutes} minutes`,
      ),
    ];
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
    });
    this.dashboard.addWidgets(
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
        left: [props.stageFunction.metricErrors({ period })],
        right: [props.stageFunction.metricDuration({ period })],
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms }),
    );
  }
}
