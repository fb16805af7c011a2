import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { NetworkConfig } from '../../config/network-schema';
import { acknowledgeCreatedVpc } from '../nag-acknowledgements';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';
import { connectClinic } from './vpn-connection';

export type NewVpcConfig = Extract<NetworkConfig, { type: 'new_vpc' }>;

/**
 * `aws.network.type: new_vpc`: a VPC over `max_azs` zones with flow logs and the default
 * security group closed. Without a NAT gateway (the default) it has private isolated subnets
 * only and no internet gateway at all: the VPC endpoints and the VPN are its only ways out. With
 * `nat_gateway: true` it adds public subnets holding one NAT gateway, and the private subnets
 * route to it. With `vpn`, the VPN to the clinic (vpn-connection.ts).
 */
export function createVpc(
  scope: Construct,
  network: NewVpcConfig,
  logs: PipelineLogGroupProps,
): { vpc: ec2.Vpc; subnets: ec2.SubnetSelection; vpn?: ec2.VpnConnection } {
  const subnetType = network.nat_gateway
    ? ec2.SubnetType.PRIVATE_WITH_EGRESS
    : ec2.SubnetType.PRIVATE_ISOLATED;
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    ipAddresses: ec2.IpAddresses.cidr(network.cidr),
    maxAzs: network.max_azs,
    natGateways: network.nat_gateway ? 1 : 0,
    subnetConfiguration: [
      // The public subnets only hold the NAT gateway: nothing in them gets a public IP.
      ...(network.nat_gateway
        ? [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false }]
        : []),
      { name: 'private', subnetType },
    ],
    flowLogs: {
      all: {
        trafficType: ec2.FlowLogTrafficType.ALL,
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new PipelineLogGroup(scope, 'VpcFlowLogs', logs),
        ),
      },
    },
    restrictDefaultSecurityGroup: true,
  });
  if (network.nat_gateway) acknowledgeCreatedVpc(vpc);
  const subnets = { subnetType };
  const vpn = network.vpn ? connectClinic(vpc, network.vpn, subnets) : undefined;
  return { vpc, subnets, vpn };
}
