import { CfnOutput } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ConfigError } from '../../contract/errors';
import { lookUpVpc } from './existing-vpc';
import { createVpc } from './new-vpc';
import type { PipelineLogGroupProps } from './pipeline-log-group';
import { type AwsNetworkConfig, type DatabasePorts, databaseEgress } from './runner-egress';
import { VpcEndpoints } from './vpc-endpoints';

/** `aws.network.type: local`: the pipeline runs at the clinic, and nothing goes to AWS. */
export class NothingToDeployError extends ConfigError {
  constructor() {
    super(
      'nothing to deploy: aws.network.type is local, which means the pipeline runs on a machine at the clinic with the CLI (etl-pipeline run) and puts nothing in AWS. To deploy the stack, choose new_vpc or existing_vpc (docs/configuration.md, aws.network).',
      { stage: 'config' },
    );
  }
}

/** Where a runner (Lambda function or Fargate task) is placed: VPC, subnets, security group. */
export interface RunnerNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface NetworkProps {
  /** `aws.network`: a new VPC (optionally with a VPN to the clinic) or an existing one. */
  readonly network: AwsNetworkConfig;
  /** `connections.*.port`: the only ports the runners may open outside the VPC endpoints. */
  readonly ports: DatabasePorts;
  /** The flow logs of a new VPC, and the log group of the S3 prefix list lookup. */
  readonly logs: PipelineLogGroupProps;
  /** The databases the stack provisions: reached by security group, not by `database_cidrs`. */
  readonly provisioned?: { replica: boolean; analytics: boolean };
}

/**
 * The runners' network: the VPC and subnets (new-vpc.ts, existing-vpc.ts), the VPC endpoints
 * (always in a new VPC; in an existing one unless `endpoints: false`), and one security group
 * for all runners whose egress is the database ports (runner-egress.ts) and HTTPS to the
 * endpoints, nothing else. Its id is the stack output `RunnerSecurityGroupId`, for the
 * databases' security groups to admit.
 */
export class Network extends Construct implements RunnerNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly endpoints?: VpcEndpoints;
  /** The VPN to the clinic (a new VPC with `vpn`). */
  readonly vpn?: ec2.VpnConnection;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { network } = props;
    const placed =
      network.type === 'new_vpc' ? createVpc(this, network, props.logs) : lookUpVpc(this, network);
    this.vpc = placed.vpc;
    this.subnets = placed.subnets;
    this.vpn = 'vpn' in placed ? placed.vpn : undefined;
    this.securityGroup =
      ('securityGroup' in placed ? placed.securityGroup : undefined) ??
      new ec2.SecurityGroup(this, 'RunnerSecurityGroup', {
        vpc: this.vpc,
        description: 'OpenDental ETL runners: outbound to the databases and AWS APIs only',
        allowAllOutbound: false,
      });

    // A new VPC's block is known from the config (a readable rule); a looked-up one from the lookup.
    const vpcCidr = network.type === 'new_vpc' ? network.cidr : this.vpc.vpcCidrBlock;
    for (const rule of databaseEgress(network, props.ports, vpcCidr, props.provisioned)) {
      this.securityGroup.addEgressRule(
        ec2.Peer.ipv4(rule.cidr),
        ec2.Port.tcp(rule.port),
        `${rule.databases.join(' and ')} database${rule.databases.length > 1 ? 's' : ''}`,
      );
    }
    if (network.type === 'new_vpc' || network.endpoints) {
      this.endpoints = new VpcEndpoints(this, 'Endpoints', {
        vpc: this.vpc,
        subnets: this.subnets,
        runners: this.securityGroup,
        logs: props.logs,
        onlyImageLayers: network.type === 'new_vpc',
      });
      this.securityGroup.addEgressRule(
        ec2.Peer.prefixList(this.endpoints.s3PrefixList),
        ec2.Port.tcp(443),
        'HTTPS to S3 (ECR image layers) through the gateway endpoint',
      );
    } else {
      // `endpoints: false`: the VPC reaches AWS through endpoints or a NAT gateway of its own,
      // at addresses the stack cannot know.
      this.securityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'HTTPS to AWS APIs through the VPC own endpoints or NAT gateway',
      );
    }

    // The databases' security groups admit this one (docs/deploy.md).
    new CfnOutput(this, 'RunnerSecurityGroupId', {
      value: this.securityGroup.securityGroupId,
    }).overrideLogicalId('RunnerSecurityGroupId');
  }

  /**
   * Lets the runners open TCP `port` of a database in this VPC (an RDS instance, say): an egress
   * rule on the runners' group and an ingress rule on the database's group, each naming the other.
   */
  allowDatabase(database: ec2.IConnectable, port: number, description: string): void {
    this.securityGroup.connections.allowTo(database, ec2.Port.tcp(port), description);
  }
}
