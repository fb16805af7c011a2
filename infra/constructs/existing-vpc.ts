import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { NetworkConfig } from '../../config/network-schema';
import { ConfigError } from '../../contract/errors';

export type ExistingVpcConfig = Extract<NetworkConfig, { type: 'existing_vpc' }>;

/**
 * `aws.network.type: existing_vpc`: the VPC looked up by id (the lookup needs the stack's account
 * and region), the configured subnets in it, and the configured security group, if any.
 *
 * Without the lookup's context (cdk.context.json) synth records the lookup as missing and goes on
 * with CDK's placeholder VPC, whose subnets are not the configured ones: that pass places the
 * runners in the placeholder's private subnets. The cdk CLI then looks the VPC up with the
 * deployer's credentials and synthesizes again, this time with the real subnets.
 */
export function lookUpVpc(
  scope: Construct,
  network: ExistingVpcConfig,
): { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroup?: ec2.ISecurityGroup } {
  const vpc = ec2.Vpc.fromLookup(scope, 'Vpc', { vpcId: network.vpc_id });
  // The stack adds no rule to a security group it does not own: its egress is the owner's to
  // restrict; the endpoints (and RDS) admit it by id.
  const securityGroup = network.security_group_id
    ? ec2.SecurityGroup.fromSecurityGroupId(
        scope,
        'RunnerSecurityGroup',
        network.security_group_id,
        {
          mutable: false,
        },
      )
    : undefined;
  const answered = vpc.vpcId === network.vpc_id;
  if (!answered) return { vpc, subnets: {}, securityGroup };

  const all = [...vpc.privateSubnets, ...vpc.isolatedSubnets, ...vpc.publicSubnets];
  const unknown = network.subnet_ids.filter((id) => !all.some((s) => s.subnetId === id));
  if (unknown.length > 0) {
    throw new ConfigError(
      `aws.network.subnet_ids: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ${network.vpc_id} (its subnets: ${all.map((s) => s.subnetId).join(', ') || 'none'}); if the VPC changed, refresh the lookup: npx cdk context --reset <key> (npx cdk context lists the keys)`,
      { stage: 'config' },
    );
  }
  const subnets = network.subnet_ids.map((id) => all.find((s) => s.subnetId === id) as ec2.ISubnet);
  return { vpc, subnets: { subnets }, securityGroup };
}
