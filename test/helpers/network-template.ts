import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NetworkSchema } from '../../config/network-schema';
import { Network } from '../../infra/constructs/network';
import type { AwsNetworkConfig } from '../../infra/constructs/runner-egress';
import { bareStack, logicalIdOf } from './bare-stack';

/** The database ports of the network tests: distinct, so each rule shows which one it is for. */
const PORTS = { source: 3306, replication: 3307, analytics: 5432 };

/** A Network from `aws.network` as YAML would give it (defaults applied), in a bare stack. */
export function synthNetwork(
  network: Record<string, unknown>,
  env: { account?: string; region: string } = { region: 'us-east-1' },
  /** Adds to the stack before it is synthesized. */
  extend: (built: Network) => void = () => {},
) {
  const stack = bareStack({ env });
  const key = new kms.Key(stack, 'Key');
  const built = new Network(stack, 'Network', {
    network: NetworkSchema.parse(network) as AwsNetworkConfig,
    ports: PORTS,
    logs: { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key },
  });
  extend(built);
  return { stack, key, network: built, template: Template.fromStack(stack) };
}

export type Synth = ReturnType<typeof synthNetwork>;

/** The runners' group's egress: its inline rules and the separate SecurityGroupEgress ones. */
export function runnerEgress(s: Synth): Record<string, unknown>[] {
  const group = logicalIdOf(s.network.securityGroup);
  const inline = s.template.toJSON().Resources[group].Properties.SecurityGroupEgress ?? [];
  const separate = Object.values(
    s.template.findResources('AWS::EC2::SecurityGroupEgress', {
      Properties: { GroupId: { 'Fn::GetAtt': [group, 'GroupId'] } },
    }),
  ).map((r) => {
    const { GroupId: _, ...rule } = r.Properties;
    return rule;
  });
  return [...inline, ...separate];
}

/** The HTTPS rules every network with endpoints adds: the endpoints' group, S3's prefix list. */
export function endpointEgress(s: Synth): Record<string, unknown>[] {
  const endpoints = s.network.endpoints as NonNullable<Synth['network']['endpoints']>;
  const https = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443 };
  return [
    {
      ...https,
      DestinationSecurityGroupId: {
        'Fn::GetAtt': [logicalIdOf(endpoints.securityGroup), 'GroupId'],
      },
      Description: 'HTTPS from the runners to AWS APIs',
    },
    {
      ...https,
      DestinationPrefixListId: {
        'Fn::GetAtt': [
          logicalIdOf(endpoints.node.findChild('S3PrefixList')),
          'PrefixLists.0.PrefixListId',
        ],
      },
      Description: 'HTTPS to S3 (ECR image layers) through the gateway endpoint',
    },
  ];
}
