import { type Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings acknowledged on purpose, each with its reason. Everything else is fixed in
 * the stack: the policy test fails on any unacknowledged AwsSolutions or HIPAA.Security finding.
 */
export function acknowledgeFindings(stack: Stack): void {
  const stackWide: [id: string, reason: string][] = [
    [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AWS-managed minimal policy for a Lambda function to write its own logs; nothing broader.',
    ],
    [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'AWS-managed policy for the network interfaces a Lambda function in a VPC needs to reach the clinic databases.',
    ],
    [
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace segments and CloudWatch Logs delivery for Step Functions accept only Resource "*" (AWS requirement).',
    ],
    [
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the project targets and tests (code must run on Node 20 and 22); raise it deliberately, not implicitly.',
    ],
    [
      'AwsSolutions-ECS2',
      'The task environment holds the non-secret pipeline configuration only; credentials come from Secrets Manager at run time.',
    ],
    [
      'HIPAA.Security-IAMNoInlinePolicy',
      'CDK grants write least-privilege inline policies scoped to this stack’s own resources; no shared managed policy would be narrower.',
    ],
    [
      'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
      'Only the public subnets route to the internet gateway, for the NAT gateway; no workload runs in them and they assign no public IPs.',
    ],
  ];
  for (const [id, reason] of stackWide) Validations.of(stack).acknowledge({ id, reason });
}

/**
 * The state machine invokes Lambda function versions and runs ECS task definition revisions:
 * CDK's grants name them with a trailing ":*" on this stack's own function or task definition.
 * cdk-nag reports each as its own finding, keyed by the resource's logical id.
 */
export function acknowledgeVersionWildcards(
  scope: IConstruct,
  functionLogicalIds: readonly string[],
  taskDefinitionLogicalId: string,
): void {
  const reason =
    'Only the version/revision suffix (":*") of this stack’s own function or task definition.';
  for (const id of functionLogicalIds) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`, reason });
  }
  const part = (i: number) =>
    `{"Fn::Select":[${i},{"Fn::Split":[":",{"Ref":"${taskDefinitionLogicalId}"}]}]}`;
  const family = (i: number) =>
    `{"Fn::Select":[${i},{"Fn::Split":["/",{"Fn::Select":[5,{"Fn::Split":[":",{"Ref":"${taskDefinitionLogicalId}"}]}]}]}]}`;
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:${part(1)}:${part(2)}:${part(3)}:${part(4)}:${family(0)}/${family(1)}:*]`,
    reason,
  });
}
