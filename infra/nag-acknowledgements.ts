import { Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings acknowledged on purpose, each with its reason, each at the resource that needs
 * it (cdk-nag matches an acknowledgement on the resource or an ancestor). Everything else is fixed
 * in the stack: the policy test fails on any unacknowledged AwsSolutions or HIPAA.Security finding.
 */
export function acknowledgeFindings(stack: Stack, stateMachine: sfn.StateMachine): void {
  Validations.of(stack).acknowledge({
    id: 'HIPAA.Security-IAMNoInlinePolicy',
    reason:
      'CDK grants write least-privilege inline policies scoped to this stack’s own resources; no shared managed policy would be narrower.',
  });
  acknowledgeStarResource(
    stateMachine.role,
    'X-Ray trace segments, CloudWatch Logs delivery (logs:CreateLogDelivery and the other delivery APIs) and the run-job pattern’s ecs:StopTask/ecs:DescribeTasks (task ARNs exist only at run time) accept only Resource "*".',
  );
}

/** A pipeline Lambda function: X-Ray, the managed execution policies, the runtime, concurrency. */
export function acknowledgeRunnerFunction(
  fn: lambda.Function,
  options: { reservedConcurrency: boolean; inVpc: boolean },
): void {
  acknowledgeStarResource(
    fn.role,
    'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords accept only Resource "*".',
  );
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWS-managed minimal policy for a Lambda function to write its own logs; nothing broader.',
    },
    {
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the project targets and tests (code must run on Node 20 and 22); raise it deliberately, not implicitly.',
    },
  );
  if (options.inVpc) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'AWS-managed policy for the network interfaces a Lambda function in a VPC needs to reach the clinic databases.',
    });
  }
  if (!options.reservedConcurrency) {
    Validations.of(fn).acknowledge({
      id: 'HIPAA.Security-LambdaConcurrency',
      reason:
        'Reserved concurrency is opt-in (aws.reserved_concurrency): an account must keep 100 unreserved, so on a new account (often 10 in total) any reservation fails the deploy. The load is bounded by the Map’s concurrency, which the Plan caps at general.max_parallel_jobs.',
    });
  }
}

/** The Fargate stage task: ECR login on the execution role, the environment of the container. */
export function acknowledgeTaskDefinition(taskDefinition: ecs.TaskDefinition): void {
  acknowledgeStarResource(
    taskDefinition.obtainExecutionRole(),
    'ecr:GetAuthorizationToken (the image pull’s registry login) is account-wide: it accepts only Resource "*".',
  );
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The container environment holds the pipeline configuration without any credential (every secret field is removed at synth); credentials come from Secrets Manager at run time.',
  });
}

/** The Slack notifier: outside the VPC, because Slack is on the internet and the VPC has no NAT. */
export function acknowledgeOutsideVpc(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'HIPAA.Security-LambdaInsideVPC',
    reason:
      'The Slack notifier posts alerts to hooks.slack.com on the internet; the VPC has no NAT gateway by default. It reaches nothing in the VPC (no database, no database secret: only its webhook secret), and alerts carry no row values or credentials.',
  });
}

/** A VPC the stack creates with a NAT gateway: its public subnets route to the internet gateway. */
export function acknowledgeCreatedVpc(vpc: ec2.Vpc): void {
  Validations.of(vpc).acknowledge({
    id: 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
    reason:
      'Only the public subnets route to the internet gateway, for the NAT gateway; no workload runs in them and they assign no public IPs.',
  });
}

/**
 * `AwsSolutions-IAM5[Resource::*]` on the one policy that needs it: a role's default policy, where
 * CDK's grants put the statements (or the policy named `policyId` under `owner`). It must exist (a
 * grant created it) when this is called.
 */
function acknowledgeStarResource(
  owner: IConstruct | undefined,
  reason: string,
  policyId = 'DefaultPolicy',
): void {
  const policy = owner?.node.tryFindChild(policyId);
  if (!policy) throw new Error(`acknowledgeStarResource: the construct has no ${policyId}`);
  Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
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

/**
 * The distributed Map runs each table as a child execution of the state machine itself: CDK
 * grants describing and stopping those executions by the state machine's own execution ARNs,
 * `execution:<name>:*` (and `/*:*` for a map run's children), which cdk-nag reports as wildcards.
 */
export function acknowledgeChildExecutions(
  stateMachine: IConstruct,
  stateMachineLogicalId: string,
  /** As cdk-nag prints them: the stack's own, or `<AWS::AccountId>` for an account-agnostic stack. */
  where: { region: string; account: string },
): void {
  const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineLogicalId}"}]}]}`;
  const reason =
    'Only the executions of this state machine: its distributed Map runs each table as a child execution, which it must describe and stop.';
  for (const suffix of [':*', '/*:*']) {
    Validations.of(stateMachine).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${where.region}:${where.account}:execution:${name}${suffix}]`,
      reason,
    });
  }
}

/**
 * The operator policy names this state machine's executions and Map Runs by pattern: their
 * names exist only once a run starts (`execution:<name>:*`, `…/*:*`, `mapRun:<name>/*:*`).
 */
export function acknowledgeOperatorWildcards(
  policy: IConstruct,
  printedArns: readonly string[],
): void {
  for (const arn of printedArns) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arn}]`,
      reason:
        'Only the executions and Map Runs of this stack’s state machine: a run’s execution and its child executions are named when the run starts, and the operator’s CLI reads them all.',
    });
  }
}

/** A database the stack provisions (aws.databases): what its configuration leaves as it is. */
export function acknowledgeManagedDatabase(
  instance: IConstruct,
  options: { engine: 'mariadb' | 'postgres'; multiAz: boolean; deletionProtection: boolean },
): void {
  const acknowledge = (ids: string[], reason: string) =>
    Validations.of(instance).acknowledge(...ids.map((id) => ({ id, reason })));
  acknowledge(
    ['AwsSolutions-RDS11'],
    'The engine’s default port: only the runners’ and the rotation function’s security groups reach it, and the runners’ egress rules name the database ports; another port would hide nothing from them.',
  );
  acknowledge(
    ['HIPAA.Security-RDSInBackupPlan'],
    'RDS automated backups with point-in-time restore (aws.databases.*.backup_retention_days) and a final snapshot on deletion; an AWS Backup plan (vaults, cross-account copies) is the account’s backup policy, not this stack’s.',
  );
  if (!options.multiAz) {
    acknowledge(
      ['AwsSolutions-RDS3', 'HIPAA.Security-RDSMultiAZSupport'],
      'Single-AZ by configuration (aws.databases.*.multi_az: false, the default): a nightly batch target; an AZ outage delays one night (the next run catches up), and backups restore it. Set multi_az: true for a standby.',
    );
  }
  if (!options.deletionProtection) {
    acknowledge(
      ['AwsSolutions-RDS10', 'HIPAA.Security-RDSInstanceDeletionProtectionEnabled'],
      'Turned off in the configuration (aws.databases.*.deletion_protection: false), as before tearing the stack down; deleting the instance still leaves a final snapshot.',
    );
  }
  if (options.engine === 'mariadb') {
    acknowledge(
      [
        'HIPAA.Security-RDSLoggingEnabled[LogExport::general]',
        'HIPAA.Security-RDSLoggingEnabled[LogExport::slowquery]',
      ],
      'The general and slow query logs carry statement text, hence the values of the rows written (patient data): both stay off (parameter group), so there is nothing to export. The audit log (connections) and the error log are exported.',
    );
  }
  const monitoringRole = instance.node.tryFindChild('MonitoringRole');
  if (!monitoringRole) throw new Error('acknowledgeManagedDatabase: no enhanced monitoring role');
  Validations.of(monitoringRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    reason:
      'AWS-managed policy for RDS enhanced monitoring to write the instance’s OS metrics to CloudWatch Logs; nothing broader.',
  });
}

/**
 * The deploy-time lookup of S3's prefix list (s3-prefix-list.ts): an `AwsCustomResource`, whose
 * policy sits under it and whose Lambda function is the stack-wide singleton CDK shares between
 * such lookups.
 */
export function acknowledgeDeployTimeLookup(lookup: cr.AwsCustomResource): void {
  acknowledgeStarResource(
    lookup,
    'ec2:DescribePrefixLists (the S3 prefix list lookup at deploy time) accepts only Resource "*".',
    'CustomResourcePolicy',
  );
  const fn = Stack.of(lookup).node.tryFindChild(
    `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
  );
  if (!fn) throw new Error('acknowledgeDeployTimeLookup: the lookup has no provider function');
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWS-managed minimal policy for the deploy-time lookup function to write its own logs; nothing broader.',
    },
    {
      id: 'HIPAA.Security-LambdaInsideVPC',
      reason:
        'Runs only while CloudFormation deploys, to call EC2 DescribePrefixLists (a public, regional AWS API); it reads no data. In the VPC it would need an EC2 endpoint for this one call.',
    },
    {
      id: 'HIPAA.Security-LambdaConcurrency',
      reason:
        'Invoked only by CloudFormation, once per create or update of the lookup: nothing can make it scale.',
    },
    {
      id: 'HIPAA.Security-LambdaDLQ',
      reason:
        'CloudFormation waits for its answer: a failure fails (and rolls back) the deploy, so there is no lost event to keep.',
    },
  );
}
