import { CfnOutput } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledgeCreatedVpc } from '../nag-acknowledgements';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';

/** Where a runner (Lambda function or Fargate task) is placed: VPC, subnets, security group. */
export interface RunnerNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface NetworkProps {
  /** `aws.vpc_id`: an existing VPC whose private subnets reach the databases; omit to create one. */
  readonly vpcId?: string;
  /** The flow-log group of a new VPC. */
  readonly logs: PipelineLogGroupProps;
}

/**
 * The runners' network: an existing VPC (looked up by id) or a new one with two AZs, one NAT
 * gateway, flow logs and the default security group closed; one security group for all runners.
 */
export class Network extends Construct implements RunnerNetwork {
  readonly vpc: ec2.IVpc;
  /** Private subnets with egress: they reach the databases and AWS APIs, nothing reaches in. */
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    // The lookup needs the stack's account and region. Without its context (cdk.context.json)
    // synth records the lookup as missing and goes on with a placeholder VPC; the cdk CLI then
    // looks it up with the deployer's credentials and synthesizes again.
    this.vpc = props.vpcId
      ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId })
      : this.createVpc(props.logs);
    this.securityGroup = new ec2.SecurityGroup(this, 'RunnerSecurityGroup', {
      vpc: this.vpc,
      description: 'OpenDental ETL runners: outbound to the databases and AWS APIs only',
      allowAllOutbound: true,
    });
    // The databases' security groups admit this one (docs/deploy.md, "Existing VPC").
    new CfnOutput(this, 'RunnerSecurityGroupId', {
      value: this.securityGroup.securityGroupId,
    }).overrideLogicalId('RunnerSecurityGroupId');
  }

  private createVpc(logs: PipelineLogGroupProps): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      // The public subnets only hold the NAT gateway: nothing in them gets a public IP.
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      flowLogs: {
        all: {
          trafficType: ec2.FlowLogTrafficType.ALL,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new PipelineLogGroup(this, 'VpcFlowLogs', logs),
          ),
        },
      },
      restrictDefaultSecurityGroup: true,
    });
    acknowledgeCreatedVpc(vpc);
    return vpc;
  }
}
