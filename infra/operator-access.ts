/**
 * What an operator's `etl-pipeline` calls in AWS, and the least-privilege policy that allows
 * exactly that. The CLI names each resource by one request parameter; each call below is one
 * `send` (or paginator) of cli/aws-target.ts and cli/read-map-run.ts, and the permission test
 * (test/aws/operator-permissions.test.ts) fails when the CLI's code and this list disagree.
 * No CDK here: the stack's `OperatorPolicy` passes tokens, `etl-pipeline aws operator-policy`
 * passes the deployed stack's ARNs, and both print the same document.
 */

/** The request parameter that names the resource a call acts on. */
export type OperatorResource = 'StackName' | 'stateMachineArn' | 'executionArn' | 'mapRunArn';

export interface OperatorCall {
  action: string;
  on: OperatorResource;
}

export const OPERATOR_CALLS: readonly OperatorCall[] = [
  // The state machine's ARN from the stack's outputs (when aws.state_machine_arn is not set).
  { action: 'cloudformation:DescribeStacks', on: 'StackName' },
  // run --target aws, and --wait.
  { action: 'states:StartExecution', on: 'stateMachineArn' },
  { action: 'states:DescribeExecution', on: 'executionArn' },
  // status --target aws: the last runs, the latest one's history and its Map Run's children.
  { action: 'states:ListExecutions', on: 'stateMachineArn' },
  { action: 'states:GetExecutionHistory', on: 'executionArn' },
  { action: 'states:DescribeMapRun', on: 'mapRunArn' },
  { action: 'states:ListExecutions', on: 'mapRunArn' },
];

/** The stack and state machine an operator works on (strings, or CDK tokens in the stack). */
export interface OperatorTarget {
  partition: string;
  region: string;
  account: string;
  /** The stack's ARN (`AWS::StackId`): `arn:…:cloudformation:…:stack/<name>/<id>`. */
  stackId: string;
  stateMachineArn: string;
  stateMachineName: string;
}

/**
 * The ARNs each kind of request parameter may name: this stack, this state machine, its
 * executions (a run's, and its distributed Map's children, `execution:<name>/<label>:<id>`) and
 * its Map Runs (`mapRun:<name>/<label>:<id>`).
 */
export function operatorResourceArns(t: OperatorTarget): Record<OperatorResource, string[]> {
  const states = `arn:${t.partition}:states:${t.region}:${t.account}`;
  return {
    StackName: [t.stackId],
    stateMachineArn: [t.stateMachineArn],
    executionArn: [
      `${states}:execution:${t.stateMachineName}:*`,
      `${states}:execution:${t.stateMachineName}/*:*`,
    ],
    mapRunArn: [`${states}:mapRun:${t.stateMachineName}/*:*`],
  };
}

const STATEMENTS: readonly { sid: string; on: OperatorResource }[] = [
  { sid: 'ReadStackOutputs', on: 'StackName' },
  { sid: 'StartAndListRuns', on: 'stateMachineArn' },
  { sid: 'FollowRuns', on: 'executionArn' },
  { sid: 'ReadMapRuns', on: 'mapRunArn' },
];

export interface OperatorPolicyDocument {
  Version: '2012-10-17';
  Statement: { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string[] }[];
}

/** The operator's IAM policy: per resource kind, the actions the CLI calls on it, there only. */
export function operatorPolicyDocument(target: OperatorTarget): OperatorPolicyDocument {
  const arns = operatorResourceArns(target);
  return {
    Version: '2012-10-17',
    Statement: STATEMENTS.map(({ sid, on }) => ({
      Sid: sid,
      Effect: 'Allow',
      Action: [...new Set(OPERATOR_CALLS.filter((c) => c.on === on).map((c) => c.action))],
      Resource: arns[on],
    })),
  };
}
