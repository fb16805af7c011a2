import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../../config/schema';

export interface NightlyScheduleProps {
  readonly stateMachine: sfn.IStateMachine;
  /** `schedule` of pipeline.yml: cron, IANA time zone, enabled. */
  readonly schedule: PipelineConfig['schedule'];
}

/**
 * Starts the state machine every night with input `{}` (all tables). EventBridge Scheduler rather
 * than an EventBridge rule: its cron takes an IANA time zone, so 1:00 AM stays 1:00 AM across
 * daylight saving time. Its role may only start this one state machine.
 */
export class NightlySchedule extends Construct {
  readonly role: iam.Role;
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: NightlyScheduleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    props.stateMachine.grantStartExecution(this.role);
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: 'Starts the OpenDental ETL every night',
      scheduleExpression: `cron(${props.schedule.cron})`,
      scheduleExpressionTimezone: props.schedule.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: props.schedule.enabled ? 'ENABLED' : 'DISABLED',
      target: {
        arn: props.stateMachine.stateMachineArn,
        roleArn: this.role.roleArn,
        input: '{}',
      },
    });
  }
}
