import { AWS_MANAGED_POLICIES, type PolicyDocument } from './managed-policies';
import type { TemplateResolver } from './template-resolver';

export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/**
 * The policies of the synthesized stack, resolved: for a principal, its identity policies (role
 * inline policies, `AWS::IAM::Policy` attached to the role, managed policies); for a resource,
 * its resource policy (KMS key policy, SNS topic policy, SQS queue policy, secret resource policy,
 * Lambda permissions, a role's trust policy). Resources outside the stack have none.
 */
export class PolicyStore {
  constructor(private readonly r: TemplateResolver) {}

  /** The role logical id behind a role ARN, or undefined for a service principal. */
  roleIdOf(principal: string): string | undefined {
    if (!principal.startsWith('arn:aws:iam::')) return undefined;
    return this.r.idOf('AWS::IAM::Role', principal, 'Arn');
  }

  /** Every role of the stack, by ARN. */
  roleArns(): string[] {
    return this.r.resourcesOf('AWS::IAM::Role').map(([id]) => this.r.getAtt(id, 'Arn'));
  }

  identityPolicies(principal: string): NamedPolicy[] {
    const roleId = this.roleIdOf(principal);
    if (!roleId) return [];
    const roleName = this.r.ref(roleId);
    const role = this.r.properties(roleId) as {
      Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
      ManagedPolicyArns?: string[];
    };
    const inline = (role.Policies ?? []).map((p) => ({
      name: `${roleId}/${p.PolicyName}`,
      policy: p.PolicyDocument,
    }));
    const attached = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
      this.r
        .resourcesOf(type)
        .filter(([id]) => ((this.r.properties(id).Roles as string[]) ?? []).includes(roleName))
        .map(([id]) => ({
          name: id,
          policy: this.r.properties(id).PolicyDocument as PolicyDocument,
        })),
    );
    const managed = (role.ManagedPolicyArns ?? []).map((arn) => {
      const policy = AWS_MANAGED_POLICIES[arn];
      if (!policy) throw new Error(`${roleId} attaches ${arn}: not modelled (managed-policies.ts)`);
      return { name: arn, policy };
    });
    return [...inline, ...attached, ...managed];
  }

  /** The resource policy AWS evaluates for `action` on `resource`, if the stack defines one. */
  resourcePolicy(action: string, resource: string): PolicyDocument | undefined {
    const service = resource.split(':')[2];
    switch (service) {
      case 'kms':
        return this.r.properties(this.r.idOf('AWS::KMS::Key', resource, 'Arn'))
          .KeyPolicy as PolicyDocument;
      case 'sns':
        return this.attachedPolicy('AWS::SNS::TopicPolicy', 'Topics', resource);
      case 'sqs': {
        const url = this.r.getAtt(this.r.idOf('AWS::SQS::Queue', resource, 'Arn'), 'QueueUrl');
        return this.attachedPolicy('AWS::SQS::QueuePolicy', 'Queues', url);
      }
      case 'secretsmanager':
        return this.attachedPolicy('AWS::SecretsManager::ResourcePolicy', 'SecretId', resource);
      case 'lambda':
        return this.lambdaPermissions(resource);
      case 'iam':
        return action === 'sts:AssumeRole' ? this.trustPolicy(resource) : undefined;
      default:
        return undefined;
    }
  }

  private attachedPolicy(type: string, key: string, target: string): PolicyDocument | undefined {
    const policies = this.r.resourcesOf(type).filter(([id]) => {
      const targets = this.r.properties(id)[key];
      return ([] as unknown[]).concat(targets).includes(target);
    });
    // CloudFormation keeps only one policy per resource: two would overwrite each other.
    if (policies.length > 1) throw new Error(`${target} has ${policies.length} ${type} resources`);
    const [only] = policies;
    return only ? (this.r.properties(only[0]).PolicyDocument as PolicyDocument) : undefined;
  }

  private trustPolicy(roleArn: string): PolicyDocument {
    return this.r.properties(this.r.idOf('AWS::IAM::Role', roleArn, 'Arn'))
      .AssumeRolePolicyDocument as PolicyDocument;
  }

  /** `AWS::Lambda::Permission`s of a function, as the function policy Lambda builds from them. */
  private lambdaPermissions(functionArn: string): PolicyDocument | undefined {
    const functionId = this.r.idOf('AWS::Lambda::Function', functionArn, 'Arn');
    const statements = this.r
      .resourcesOf('AWS::Lambda::Permission')
      .map(([id]) => this.r.properties(id))
      .filter((p) => p.FunctionName === functionArn || p.FunctionName === this.r.ref(functionId))
      .map((p) => {
        const principal = p.Principal as string;
        const condition: Record<string, Record<string, unknown>> = {};
        if (p.SourceArn) condition.ArnLike = { 'AWS:SourceArn': p.SourceArn };
        if (p.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
        return {
          Effect: 'Allow',
          Principal: principal.endsWith('.amazonaws.com')
            ? { Service: principal }
            : { AWS: principal },
          Action: p.Action,
          Resource: functionArn,
          ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
        };
      });
    return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
  }
}
