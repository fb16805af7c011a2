import type { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../../infra/constructs/network';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

function synth(vpcId?: string) {
  const stack = bareStack({ env: { account: '123456789012', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key');
  const network = new Network(stack, 'Network', {
    vpcId,
    logs: { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key },
  });
  return { stack, key, network, template: Template.fromStack(stack) };
}

describe('Network, without aws.vpc_id', () => {
  let s: ReturnType<typeof synth>;
  beforeAll(() => {
    s = synth();
  });

  it('creates a VPC over two AZs with one NAT gateway and public subnets that assign no public IPs', () => {
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::Subnet', 4);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    const subnets = Object.values(s.template.findResources('AWS::EC2::Subnet'));
    for (const subnet of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  it('logs all VPC traffic to an encrypted log group and closes the default security group', () => {
    s.template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      ResourceType: 'VPC',
    });
    s.template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30,
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(s.key), 'Arn'] },
    });
    s.template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it('gives the runners one security group, outbound only, and the private subnets', () => {
    s.template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    s.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'OpenDental ETL runners: outbound to the databases and AWS APIs only',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: '-1' })],
      SecurityGroupIngress: Match.absent(),
      VpcId: { Ref: logicalIdOf(s.network.vpc) },
    });
    // An output, for the databases' security groups to admit.
    expect(s.template.findOutputs('RunnerSecurityGroupId')).toEqual({
      RunnerSecurityGroupId: {
        Value: { 'Fn::GetAtt': [logicalIdOf(s.network.securityGroup), 'GroupId'] },
      },
    });
    const selected = s.network.vpc.selectSubnets(s.network.subnets);
    expect(selected.subnets).toEqual(s.network.vpc.privateSubnets);
    expect(selected.subnets).toHaveLength(2);
  });
});

describe('Network, with aws.vpc_id', () => {
  it('looks the VPC up by its id and creates no VPC or flow logs', () => {
    const { stack, template } = synth('vpc-0abc');
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    // The lookup happens at synth time in the CLI: here it is the context the CLI would fetch.
    const missing = (stack.node.root as App).synth().manifest.missing ?? [];
    expect(missing).toContainEqual(
      expect.objectContaining({
        provider: 'vpc-provider',
        props: expect.objectContaining({ filter: { 'vpc-id': 'vpc-0abc' } }),
      }),
    );
  });
});
