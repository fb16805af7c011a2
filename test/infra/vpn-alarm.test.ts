import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { NetworkSchema } from '../../config/network-schema';
import { buildApp } from '../../infra/build-app';
import { logicalIdOf } from '../helpers/bare-stack';

function synth(network: Record<string, unknown>) {
  const config: LoadedConfig = structuredClone(loadConfig({ env: {} }));
  config.pipeline.aws.network = NetworkSchema.parse(network);
  const { stack } = buildApp({ config, bundle: false, validateTemplates: false });
  return { stack, template: Template.fromStack(stack) };
}

describe('the clinic VPN alarm', () => {
  it('alarms into the alert topic when both tunnels are down for 15 minutes, and when they are back', () => {
    const { stack, template } = synth({
      type: 'new_vpc',
      vpn: { customer_gateway_ip: '44.192.10.20', clinic_cidrs: ['192.168.10.0/24'] },
    });
    const topic = { Ref: logicalIdOf(stack.alerts.topic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/VPN',
      MetricName: 'TunnelState',
      Dimensions: [{ Name: 'VpnId', Value: { Ref: logicalIdOf(stack.network.vpn as never) } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('is not made without a VPN', () => {
    const { template } = synth({ type: 'new_vpc' });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { Namespace?: string };
    }[];
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.filter((a) => a.Properties.Namespace === 'AWS/VPN')).toEqual([]);
  });
});
