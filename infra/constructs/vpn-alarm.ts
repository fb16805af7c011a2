import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * Alarms into the alert topic when neither tunnel of the clinic VPN has been up for 15 minutes:
 * the night's run could not reach the source. `TunnelState` (AWS/VPN) is 1 while a tunnel is up;
 * its maximum over both tunnels is 0 when both are down. No data (a VPN never brought up, or
 * deleted) counts as down.
 */
export function alarmOnVpnDown(
  scope: Construct,
  vpn: ec2.VpnConnection,
  topic: sns.ITopic,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, 'VpnDownAlarm', {
    alarmDescription:
      'Both tunnels of the Site-to-Site VPN to the clinic are down: the runners cannot reach the OpenDental server (docs/deploy.md, step 6).',
    metric: vpn.metricTunnelState({ statistic: 'Maximum', period: Duration.minutes(5) }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: 3,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  const action = new cwActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}
