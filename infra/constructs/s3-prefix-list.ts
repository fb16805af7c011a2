import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { acknowledgeDeployTimeLookup } from '../nag-acknowledgements';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';

/**
 * The id of the region's AWS-managed S3 prefix list (`pl-…`), for a security group rule that
 * lets HTTPS through to S3's gateway endpoint and nowhere else. CloudFormation has no attribute
 * for it, and a CDK context lookup would pin the stack to an account: a custom resource asks EC2
 * (`DescribePrefixLists`) at deploy time instead, in whatever account and region the stack is.
 */
export function s3PrefixListId(scope: Construct, logs: PipelineLogGroupProps): string {
  const name = ec2.GatewayVpcEndpointAwsService.S3.name;
  const call: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'describePrefixLists',
    parameters: { Filters: [{ Name: 'prefix-list-name', Values: [name] }] },
    physicalResourceId: cr.PhysicalResourceId.of(`s3-prefix-list-${name}`),
    outputPaths: ['PrefixLists.0.PrefixListId'],
  };
  const lookup = new cr.AwsCustomResource(scope, 'S3PrefixList', {
    onCreate: call,
    onUpdate: call,
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
      resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE,
    }),
    // The Lambda runtime's SDK has DescribePrefixLists; downloading a newer one needs the internet.
    installLatestAwsSdk: false,
    logGroup: new PipelineLogGroup(scope, 'S3PrefixListLogs', logs),
  });
  acknowledgeDeployTimeLookup(lookup);
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}
