import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import {
  ACCOUNT,
  buildOffline,
  configWith,
  LOOKUP_ANSWER,
  LOOKUP_KEY,
  SUBNET_IDS,
  VPC_CIDR,
  VPC_ID,
} from '../helpers/existing-vpc-context';

type Resource = { Type: string; Properties: Record<string, unknown> };

function synth(config: LoadedConfig, context: Record<string, unknown> = {}) {
  const { app, stack } = buildOffline(config, context);
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, Resource>;
    Outputs: Record<string, { Value: unknown }>;
  };
  const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
  const runnerSubnets = () =>
    ofType('AWS::Lambda::Function')
      .map((f) => (f.Properties.VpcConfig as { SubnetIds: unknown } | undefined)?.SubnetIds)
      .filter((ids) => ids !== undefined);
  return { stack, assembly, template, ofType, runnerSubnets };
}

const EXISTING = { type: 'existing_vpc', vpc_id: VPC_ID, subnet_ids: SUBNET_IDS };

describe('aws.network existing_vpc, on the cdk CLI’s first pass (the lookup not answered yet)', () => {
  it('synthesizes, records the lookup the CLI will make, and places the runners in CDK’s placeholder', () => {
    const { stack, assembly, ofType, runnerSubnets } = synth(
      configWith(EXISTING, { account: ACCOUNT }),
    );
    expect(assembly.manifest.missing).toEqual([
      {
        key: LOOKUP_KEY,
        provider: 'vpc-provider',
        props: {
          account: ACCOUNT,
          region: 'us-east-1',
          filter: { 'vpc-id': VPC_ID },
          returnAsymmetricSubnets: true,
          lookupRoleArn: `arn:\${AWS::Partition}:iam::${ACCOUNT}:role/cdk-hnb659fds-lookup-role-${ACCOUNT}-us-east-1`,
        },
      },
    ]);
    expect(stack.network.vpc.vpcId).toBe('vpc-12345');
    expect(ofType('AWS::EC2::VPC')).toEqual([]);
    expect(runnerSubnets()).toEqual(Array(3).fill(['p-12345', 'p-67890']));
  });
});

describe('aws.network existing_vpc, with the lookup answered', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth(
      configWith({ ...EXISTING, source_cidrs: ['192.168.10.0/24'] }, { account: ACCOUNT }),
      { [LOOKUP_KEY]: LOOKUP_ANSWER },
    );
  });

  it('needs nothing more from the CLI, and creates no VPC, flow logs or VPN', () => {
    expect(s.assembly.manifest.missing).toBeUndefined();
    for (const type of ['VPC', 'FlowLog', 'VPNGateway', 'CustomerGateway', 'NatGateway']) {
      expect(s.ofType(`AWS::EC2::${type}`)).toEqual([]);
    }
  });

  it('places every runner function in the configured subnets, wherever they route', () => {
    expect(s.runnerSubnets()).toEqual(Array(3).fill(SUBNET_IDS));
    const group = s.stack.resolve(s.stack.network.securityGroup.securityGroupId);
    for (const f of s.ofType('AWS::Lambda::Function').filter((f) => f.Properties.VpcConfig)) {
      expect(f.Properties.VpcConfig).toEqual({ SubnetIds: SUBNET_IDS, SecurityGroupIds: [group] });
    }
  });

  it('creates the endpoints in those subnets, and the S3 gateway on their route tables (no policy: others may share them)', () => {
    const interfaces = s
      .ofType('AWS::EC2::VPCEndpoint')
      .filter((e) => e.Properties.VpcEndpointType === 'Interface');
    expect(interfaces).toHaveLength(7);
    for (const endpoint of interfaces) {
      expect(endpoint.Properties).toMatchObject({ VpcId: VPC_ID, SubnetIds: SUBNET_IDS });
    }
    const [gateway] = s
      .ofType('AWS::EC2::VPCEndpoint')
      .filter((e) => e.Properties.VpcEndpointType === 'Gateway');
    expect(gateway?.Properties.RouteTableIds).toEqual(['rtb-0aa03', 'rtb-0bb03']);
    expect(gateway?.Properties.PolicyDocument).toBeUndefined();
  });

  it('opens the source port to source_cidrs and the other databases to the looked-up VPC CIDR', () => {
    const [group] = s
      .ofType('AWS::EC2::SecurityGroup')
      .filter((g) => String(g.Properties.GroupDescription).startsWith('OpenDental ETL runners'));
    expect(group?.Properties.VpcId).toBe(VPC_ID);
    expect(
      ((group?.Properties.SecurityGroupEgress as { CidrIp: string; FromPort: number }[]) ?? []).map(
        (r) => `${r.CidrIp}:${r.FromPort}`,
      ),
    ).toEqual(['192.168.10.0/24:3306', `${VPC_CIDR}:3306`, `${VPC_CIDR}:5432`]);
  });

  it('refuses a configured subnet that is not in the VPC, naming the key and the VPC', () => {
    const config = configWith(
      { ...EXISTING, subnet_ids: ['subnet-0aa03', 'subnet-0ffff'] },
      { account: ACCOUNT },
    );
    expect(() => synth(config, { [LOOKUP_KEY]: LOOKUP_ANSWER })).toThrow(
      new ConfigError(
        `aws.network.subnet_ids: subnet-0ffff is not in ${VPC_ID} (its subnets: subnet-0aa02, subnet-0bb02, subnet-0aa03, subnet-0bb03, subnet-0aa01, subnet-0bb01); if the VPC changed, refresh the lookup: npx cdk context --reset <key> (npx cdk context lists the keys)`,
        { stage: 'config' },
      ),
    );
  });
});

describe('aws.network existing_vpc with security_group_id and endpoints: false', () => {
  it('uses the given group unchanged and outputs its id; without endpoints it needs HTTPS out', () => {
    const sg = 'sg-0123456789abcdef0';
    const s = synth(configWith({ ...EXISTING, security_group_id: sg }, { account: ACCOUNT }), {
      [LOOKUP_KEY]: LOOKUP_ANSWER,
    });
    for (const f of s.ofType('AWS::Lambda::Function').filter((f) => f.Properties.VpcConfig)) {
      expect(f.Properties.VpcConfig).toMatchObject({ SecurityGroupIds: [sg] });
    }
    // The group is someone else's: no rule is added to it; the endpoints' group admits it.
    expect(s.ofType('AWS::EC2::SecurityGroupEgress')).toEqual([]);
    expect(s.ofType('AWS::EC2::SecurityGroupIngress').map((r) => r.Properties)).toEqual([
      expect.objectContaining({ SourceSecurityGroupId: sg, FromPort: 443, ToPort: 443 }),
    ]);
    expect(s.template.Outputs.RunnerSecurityGroupId?.Value).toBe(sg);

    const without = synth(configWith({ ...EXISTING, endpoints: false }, { account: ACCOUNT }), {
      [LOOKUP_KEY]: LOOKUP_ANSWER,
    });
    expect(without.ofType('AWS::EC2::VPCEndpoint')).toEqual([]);
    expect(without.ofType('Custom::AWS')).toEqual([]);
    const [group] = without.ofType('AWS::EC2::SecurityGroup');
    expect(group?.Properties.SecurityGroupEgress).toContainEqual(
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443 }),
    );
  });
});
