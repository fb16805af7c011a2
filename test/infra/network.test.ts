import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf } from '../helpers/bare-stack';
import {
  endpointEgress,
  runnerEgress,
  type Synth,
  synthNetwork,
} from '../helpers/network-template';

const tcp = (port: number, cidr: string, description: string) => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  CidrIp: cidr,
  Description: description,
});

describe('aws.network new_vpc, the default: no NAT gateway, no VPN', () => {
  let s: Synth;
  beforeAll(() => {
    s = synthNetwork({ type: 'new_vpc' });
  });

  it('creates a VPC with the configured CIDR: isolated private subnets in two zones, no way to the internet', () => {
    s.template.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '10.40.0.0/16',
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
    s.template.resourceCountIs('AWS::EC2::Subnet', 2);
    for (const type of ['InternetGateway', 'NatGateway', 'EIP', 'Route', 'VPNGateway']) {
      s.template.resourceCountIs(`AWS::EC2::${type}`, 0);
    }
    const selected = s.network.vpc.selectSubnets(s.network.subnets).subnets;
    expect(selected).toEqual(s.network.vpc.isolatedSubnets);
    expect(selected).toHaveLength(2);
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

  it('has interface endpoints for the AWS APIs the runners call, private DNS, in the runners’ subnets', () => {
    const subnets = s.network.vpc.isolatedSubnets.map((subnet) => ({ Ref: logicalIdOf(subnet) }));
    const endpoints = Object.values(
      s.template.findResources('AWS::EC2::VPCEndpoint', {
        Properties: { VpcEndpointType: 'Interface' },
      }),
    );
    expect(endpoints.map((e) => e.Properties.ServiceName).sort()).toEqual(
      ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'sns', 'states', 'xray'].map(
        (service) => `com.amazonaws.us-east-1.${service}`,
      ),
    );
    const group = logicalIdOf(s.network.endpoints?.securityGroup as ec2.SecurityGroup);
    for (const endpoint of endpoints) {
      expect(endpoint.Properties).toMatchObject({
        PrivateDnsEnabled: true,
        SubnetIds: subnets,
        SecurityGroupIds: [{ 'Fn::GetAtt': [group, 'GroupId'] }],
      });
    }
  });

  it('admits only the runners to the interface endpoints, on 443', () => {
    const group = logicalIdOf(s.network.endpoints?.securityGroup as ec2.SecurityGroup);
    expect(s.template.toJSON().Resources[group].Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(s.template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress.map((r) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [group, 'GroupId'] },
        SourceSecurityGroupId: {
          'Fn::GetAtt': [logicalIdOf(s.network.securityGroup), 'GroupId'],
        },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: 'HTTPS from the runners to AWS APIs',
      },
    ]);
  });

  it('has an S3 gateway endpoint on the runners’ route tables, for ECR’s image layers only', () => {
    const routeTables = s.network.vpc.isolatedSubnets.map((subnet) =>
      s.stack.resolve(subnet.routeTable.routeTableId),
    );
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: routeTables,
      PolicyDocument: {
        Statement: [
          {
            Action: 's3:GetObject',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':s3:::prod-',
                  { Ref: 'AWS::Region' },
                  '-starport-layer-bucket/*',
                ],
              ],
            },
          },
        ],
      },
    });
    // Its prefix list id is looked up at deploy time, in the stack's own region.
    const [lookup] = Object.values(s.template.findResources('Custom::AWS'));
    expect(JSON.stringify(lookup?.Properties.Create)).toBe(
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            '{"service":"EC2","action":"describePrefixLists","parameters":{"Filters":[{"Name":"prefix-list-name","Values":["com.amazonaws.',
            { Ref: 'AWS::Region' },
            '.s3"]}]},"physicalResourceId":{"id":"s3-prefix-list-com.amazonaws.',
            { Ref: 'AWS::Region' },
            '.s3"},"outputPaths":["PrefixLists.0.PrefixListId"]}',
          ],
        ],
      }),
    );
  });

  it('lets the runners out only to the database ports (VPC by default) and HTTPS to the endpoints', () => {
    expect(runnerEgress(s)).toEqual([
      tcp(3306, '10.40.0.0/16', 'source database'),
      tcp(3307, '10.40.0.0/16', 'replica database'),
      tcp(5432, '10.40.0.0/16', 'analytics database'),
      ...endpointEgress(s),
    ]);
    expect(JSON.stringify(runnerEgress(s))).not.toContain('0.0.0.0/0');
    s.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'OpenDental ETL runners: outbound to the databases and AWS APIs only',
      SecurityGroupIngress: Match.absent(),
      VpcId: { Ref: logicalIdOf(s.network.vpc) },
    });
  });

  it('outputs the runners’ security group id, for the databases’ groups to admit', () => {
    expect(s.template.findOutputs('*')).toEqual({
      RunnerSecurityGroupId: {
        Value: { 'Fn::GetAtt': [logicalIdOf(s.network.securityGroup), 'GroupId'] },
      },
    });
  });
});

describe('aws.network new_vpc with nat_gateway: true', () => {
  it('adds public subnets holding one NAT gateway, assigning no public IPs; the runners stay private', () => {
    const s = synthNetwork({ type: 'new_vpc', nat_gateway: true, cidr: '10.7.0.0/20' });
    s.template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.7.0.0/20' });
    s.template.resourceCountIs('AWS::EC2::Subnet', 4);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    for (const subnet of Object.values(s.template.findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
    const selected = s.network.vpc.selectSubnets(s.network.subnets).subnets;
    expect(selected).toEqual(s.network.vpc.privateSubnets);
    // The endpoints stay: AWS API traffic does not leave through the NAT gateway.
    s.template.resourceCountIs('AWS::EC2::VPCEndpoint', 8);
    expect(runnerEgress(s)).toHaveLength(5);
  });

  it('spreads over max_azs zones when the stack’s account and region are known', () => {
    const s = synthNetwork(
      { type: 'new_vpc', max_azs: 3 },
      { account: '123456789012', region: 'eu-west-1' },
    );
    s.template.resourceCountIs('AWS::EC2::Subnet', 3);
  });
});

describe('Network.allowDatabase', () => {
  it('opens one port to a database’s security group, and the database admits the runners', () => {
    let database: ec2.SecurityGroup | undefined;
    const s = synthNetwork({ type: 'new_vpc' }, undefined, (network) => {
      database = new ec2.SecurityGroup(network, 'Rds', { vpc: network.vpc });
      network.allowDatabase(database, 5432, 'analytics on RDS');
    });
    const template = s.template;
    const runners = { 'Fn::GetAtt': [logicalIdOf(s.network.securityGroup), 'GroupId'] };
    const rds = { 'Fn::GetAtt': [logicalIdOf(database as ec2.SecurityGroup), 'GroupId'] };
    const port = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 };
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      ...port,
      GroupId: runners,
      DestinationSecurityGroupId: rds,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      ...port,
      GroupId: rds,
      SourceSecurityGroupId: runners,
    });
  });
});
