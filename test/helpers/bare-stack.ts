import { App, type CfnElement, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import type { RunnerNetwork } from '../../infra/constructs/network';
import type { PipelineLogGroupProps } from '../../infra/constructs/pipeline-log-group';

/**
 * An empty stack for one construct's template test. Bundling is skipped (as for the local
 * runner): the tests read the template, they never deploy the Lambda code. CloudFormation schema
 * validation is left to the whole-stack test: it costs seconds on every synthesis.
 */
export function bareStack(props: StackProps = {}): Stack {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  return new Stack(app, 'Test', props);
}

/** What the pipeline stack hands its constructs, made plainly in a bare stack. */
export function sharedResources(stack: Stack): {
  key: kms.Key;
  logs: PipelineLogGroupProps;
  deadLetterQueue: sqs.Queue;
  network: RunnerNetwork;
} {
  const key = new kms.Key(stack, 'Key');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return {
    key,
    logs: { retention: logs.RetentionDays.TWO_WEEKS, encryptionKey: key },
    deadLetterQueue: new sqs.Queue(stack, 'DeadLetters'),
    network: {
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: new ec2.SecurityGroup(stack, 'SecurityGroup', { vpc }),
    },
  };
}

/** The logical id of a construct's CloudFormation resource, for `Ref`/`Fn::GetAtt` matchers. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}
