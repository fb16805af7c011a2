import { CfnResource, Stack } from 'aws-cdk-lib';
import type { CfnStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';

/** Amazon States Language, as plain JSON. */
export type AslDefinition = { StartAt: string; States: Record<string, AslState> } & Record<
  string,
  unknown
>;
export type AslState = Record<string, unknown> & { Type: string };

/** The account of the placeholder ARNs. */
export const PLACEHOLDER_ACCOUNT = '123456789012';

export type Resources = Record<string, { Type: string }>;

/**
 * Resolves a `DefinitionString` (a string, or CloudFormation's `Fn::Join` of strings, `Ref`s and
 * `Fn::GetAtt`s) into plain ASL, with placeholder ARNs of the right service and shape in place of
 * the references: the local runner binds every Task, and the limit checks only need each Task's
 * kind of resource.
 */
export function resolveDefinitionString(
  value: unknown,
  resources: Resources,
  region: string,
): AslDefinition {
  return JSON.parse(resolveIntrinsics(value, resources, region)) as AslDefinition;
}

/** The state machine's definition, resolved from the construct tree (no synthesis needed). */
export function definitionOf(stack: Stack, machine: StateMachine): AslDefinition {
  const cfn = machine.node.defaultChild as CfnStateMachine;
  return resolveDefinitionString(
    stack.resolve(cfn.definitionString),
    resourcesOf(stack),
    stack.region,
  );
}

/** The stack's resources by logical id, as the template will list them. */
export function resourcesOf(stack: Stack): Resources {
  const resources: Resources = {};
  for (const c of stack.node.findAll()) {
    if (c instanceof CfnResource && Stack.of(c) === stack) {
      resources[stack.resolve(c.logicalId) as string] = { Type: c.cfnResourceType };
    }
  }
  return resources;
}

/**
 * A template value that is a string once deployed (`Fn::Join`, `Ref`, `Fn::GetAtt`), with
 * placeholder ARNs of realistic length for the references.
 */
export function resolveIntrinsics(value: unknown, resources: Resources, region: string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, resources, region)).join(separator);
  }
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': region,
      'AWS::AccountId': PLACEHOLDER_ACCOUNT,
    };
    return pseudo[v.Ref] ?? placeholderArn(v.Ref, resources[v.Ref]?.Type, region);
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id] = v['Fn::GetAtt'] as [string, string];
    return placeholderArn(id, resources[id]?.Type, region);
  }
  throw new Error(`cannot resolve ${Object.keys(v).join(', ')} in the state machine definition`);
}

function placeholderArn(id: string, type: string | undefined, region: string): string {
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${PLACEHOLDER_ACCOUNT}:function:${id}`;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${region}:${PLACEHOLDER_ACCOUNT}:${id}`;
    case 'AWS::ECS::Cluster':
      return `arn:aws:ecs:${region}:${PLACEHOLDER_ACCOUNT}:cluster/${id}`;
    case 'AWS::ECS::TaskDefinition':
      return `arn:aws:ecs:${region}:${PLACEHOLDER_ACCOUNT}:task-definition/${id}:1`;
    case 'AWS::SecretsManager::Secret':
    // Ref of an RDS instance's secret attachment: the ARN of its generated secret.
    case 'AWS::SecretsManager::SecretTargetAttachment':
      return `arn:aws:secretsmanager:${region}:${PLACEHOLDER_ACCOUNT}:secret:${id}-AbCdEf`;
    default:
      return id;
  }
}
