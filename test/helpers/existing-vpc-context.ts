import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { NetworkSchema } from '../../config/network-schema';
import { buildApp } from '../../infra/build-app';

export const ACCOUNT = '210987654321';
export const VPC_ID = 'vpc-0abc1234def567890';
export const VPC_CIDR = '10.20.0.0/16';

/** The default configuration with `aws.network` (defaults applied) and other `aws` keys set. */
export function configWith(
  network: Record<string, unknown>,
  aws: Partial<LoadedConfig['pipeline']['aws']> = {},
): LoadedConfig {
  const config = structuredClone(loadConfig({ env: {} }));
  Object.assign(config.pipeline.aws, aws, { network: NetworkSchema.parse(network) });
  return config;
}

/** The stack of `config` as an offline synth makes it: no bundling, no credentials, `context`. */
export function buildOffline(config: LoadedConfig, context: Record<string, unknown> = {}) {
  return buildApp({ config, bundle: false, validateTemplates: false, env: {}, context });
}

/** The context key under which the cdk CLI stores the answer to this VPC's lookup. */
export const LOOKUP_KEY = `vpc-provider:account=${ACCOUNT}:filter.vpc-id=${VPC_ID}:region=us-east-1:returnAsymmetricSubnets=true`;

const subnet = (id: string, zone: string, cidr: string) => ({
  subnetId: `subnet-${id}`,
  availabilityZone: `us-east-1${zone}`,
  routeTableId: `rtb-${id}`,
  cidr,
});

/**
 * What the cdk CLI's lookup answers for a VPC as a group with Transit Gateway has it: public
 * subnets, private ones behind a NAT gateway, and isolated ones whose only routes go to the
 * Transit Gateway (CDK calls a subnet isolated when it has no route to a NAT or internet gateway).
 */
export const LOOKUP_ANSWER = {
  vpcId: VPC_ID,
  vpcCidrBlock: VPC_CIDR,
  ownerAccountId: ACCOUNT,
  availabilityZones: [],
  subnetGroups: [
    {
      name: 'Public',
      type: 'Public',
      subnets: [subnet('0aa01', 'a', '10.20.0.0/24'), subnet('0bb01', 'b', '10.20.1.0/24')],
    },
    {
      name: 'Private',
      type: 'Private',
      subnets: [subnet('0aa02', 'a', '10.20.2.0/24'), subnet('0bb02', 'b', '10.20.3.0/24')],
    },
    {
      name: 'Tgw',
      type: 'Isolated',
      subnets: [subnet('0aa03', 'a', '10.20.4.0/24'), subnet('0bb03', 'b', '10.20.5.0/24')],
    },
  ],
};

/** The configured subnets of the tests: the Transit Gateway ones. */
export const SUBNET_IDS = ['subnet-0aa03', 'subnet-0bb03'];
