import { Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { PipelineLogGroupProps } from './pipeline-log-group';
import { s3PrefixListId } from './s3-prefix-list';

/**
 * The AWS APIs the runners call from their subnets, each as an interface endpoint with private
 * DNS (so the SDK's usual host names resolve to it): Secrets Manager (connection secrets), ECR
 * `api` and `dkr` (the Fargate image), CloudWatch Logs (the task's log driver), X-Ray (the
 * Lambda functions trace actively: their segments leave from inside the VPC), Step Functions and
 * SNS (the pipeline's own services, for any runner that calls them). The key is the construct id.
 */
export const INTERFACE_ENDPOINTS: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

export interface VpcEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The runners' subnets: one endpoint network interface per zone among them. */
  readonly subnets: ec2.SubnetSelection;
  /** The runners' security group: the only one the endpoints admit. */
  readonly runners: ec2.ISecurityGroup;
  /** The log group of the deploy-time lookup of S3's prefix list. */
  readonly logs: PipelineLogGroupProps;
  /**
   * Let the S3 endpoint reach ECR's image layers only. True in a VPC the stack creates; false in
   * an existing one, whose other workloads on the same route tables may use S3 through it too.
   */
  readonly onlyImageLayers: boolean;
}

/**
 * The VPC endpoints that make a NAT gateway unnecessary: the interface endpoints above behind one
 * security group that admits HTTPS from the runners only, and an S3 gateway endpoint on the
 * runners' route tables (ECR keeps image layers in S3), limited to those layers in a new VPC. The runners reach S3 through its prefix
 * list, looked up at deploy time (`s3PrefixList`).
 */
export class VpcEndpoints extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  readonly interfaces: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  readonly s3: ec2.GatewayVpcEndpoint;
  /** The id of the region's S3 prefix list (a token resolved at deploy time). */
  readonly s3PrefixList: string;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'OpenDental ETL VPC endpoints: HTTPS from the runners only',
      allowAllOutbound: false,
    });
    this.securityGroup.connections.allowFrom(
      props.runners,
      ec2.Port.tcp(443),
      'HTTPS from the runners to AWS APIs',
    );
    this.interfaces = Object.fromEntries(
      Object.entries(INTERFACE_ENDPOINTS).map(([name, service]) => [
        name,
        new ec2.InterfaceVpcEndpoint(this, name, {
          vpc: props.vpc,
          service,
          subnets: props.subnets,
          securityGroups: [this.securityGroup],
          privateDnsEnabled: true,
          // Not open to the whole VPC: the security group above admits the runners only.
          open: false,
        }),
      ]),
    );
    this.s3 = new ec2.GatewayVpcEndpoint(this, 'S3', {
      vpc: props.vpc,
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [props.subnets],
    });
    if (props.onlyImageLayers) {
      // ECR's layer bucket, as AWS documents for ECR behind an S3 gateway endpoint.
      this.s3.addToPolicy(
        new iam.PolicyStatement({
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:GetObject'],
          resources: [`arn:${Aws.PARTITION}:s3:::prod-${Aws.REGION}-starport-layer-bucket/*`],
        }),
      );
    }
    this.s3PrefixList = s3PrefixListId(this, props.logs);
  }
}
