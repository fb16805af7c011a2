/** A synthesized CloudFormation template, as far as these tests read it. */
export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Where the stack is deemed deployed: a made-up account in the stack's region. */
export interface FakeDeployment {
  region: string;
  account: string;
}

export const FAKE_ACCOUNT = '123456789012';

/** The random six characters Secrets Manager appends to a secret's name in its ARN. */
export const SECRET_SUFFIX = 'AbCdEf';

/**
 * Resolves a template value (a string, or `Ref`/`Fn::GetAtt`/`Fn::Join`/`Fn::Sub`) to the text
 * CloudFormation would produce in a deployment: pseudo parameters from `where`, and each
 * resource's reference or attribute as the concrete value of its type, named after its logical
 * id (a function's name is its logical id). Anything else throws: a test must not silently run
 * with a half-resolved value.
 */
export function resolveValue(value: unknown, template: Template, where: FakeDeployment): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const v = (value ?? {}) as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveValue(part, template, where)).join(separator);
  }
  if (typeof v.Ref === 'string') return reference(v.Ref, template, where);
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    return attributeOf(id, attribute, template, where);
  }
  if (typeof v['Fn::Sub'] === 'string') {
    return (v['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const [id = '', attribute] = name.split('.');
      return attribute
        ? attributeOf(id, attribute, template, where)
        : reference(id, template, where);
    });
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 120)}`);
}

const PSEUDO: Record<string, (where: FakeDeployment) => string> = {
  'AWS::Partition': () => 'aws',
  'AWS::Region': (where) => where.region,
  'AWS::AccountId': (where) => where.account,
  'AWS::URLSuffix': () => 'amazonaws.com',
};

function arn(where: FakeDeployment, service: string, resource: string): string {
  return `arn:aws:${service}:${where.region}:${where.account}:${resource}`;
}

function typeOf(id: string, template: Template): string {
  const type = template.Resources[id]?.Type;
  if (!type) throw new Error(`the template has no resource ${id}`);
  return type;
}

/** What `Ref` returns, by resource type (CloudFormation's documented return values). */
function reference(id: string, template: Template, where: FakeDeployment): string {
  const pseudo = PSEUDO[id];
  if (pseudo) return pseudo(where);
  switch (typeOf(id, template)) {
    case 'AWS::SecretsManager::Secret':
      return arn(where, 'secretsmanager', `secret:${id}-${SECRET_SUFFIX}`);
    case 'AWS::SNS::Topic':
      return arn(where, 'sns', id);
    case 'AWS::SQS::Queue':
      return `https://sqs.${where.region}.amazonaws.com/${where.account}/${id}`;
    case 'AWS::StepFunctions::StateMachine':
      return arn(where, 'states', `stateMachine:${id}`);
    default:
      // Functions, log groups, roles, keys, clusters…: their name or id.
      return id;
  }
}

/** What `Fn::GetAtt` returns for the attributes the stack's values use. */
function attributeOf(
  id: string,
  attribute: string,
  template: Template,
  where: FakeDeployment,
): string {
  const type = typeOf(id, template);
  if (attribute === 'Arn') {
    const resource: Record<string, string> = {
      'AWS::Lambda::Function': `function:${id}`,
      'AWS::SQS::Queue': id,
      'AWS::SNS::Topic': id,
      'AWS::Logs::LogGroup': `log-group:${id}:*`,
      'AWS::KMS::Key': `key/${id}`,
      'AWS::ECS::Cluster': `cluster/${id}`,
      'AWS::ECS::TaskDefinition': `task-definition/${id}:1`,
    };
    const service = type.split('::')[1]?.toLowerCase() ?? '';
    if (type === 'AWS::IAM::Role') return `arn:aws:iam::${where.account}:role/${id}`;
    const name = resource[type];
    if (name) return arn(where, service === 'stepfunctions' ? 'states' : service, name);
  }
  if (type === 'AWS::EC2::SecurityGroup' && attribute === 'GroupId') return `sg-${id}`;
  if (type === 'AWS::SNS::Topic' && attribute === 'TopicArn') return arn(where, 'sns', id);
  if (type === 'AWS::SNS::Topic' && attribute === 'TopicName') return id;
  throw new Error(`cannot resolve ${id}.${attribute} (${type})`);
}

/**
 * The name of the secret a `SecretId` names (a name, a full ARN with the six-character suffix, or
 * a partial ARN without it), or null if the id's region or account is not `where`'s.
 */
export function secretNameOf(secretId: string, where: FakeDeployment): string | null {
  if (!secretId.startsWith('arn:')) return secretId;
  const prefix = arn(where, 'secretsmanager', 'secret:');
  if (!secretId.startsWith(prefix)) return null;
  const resource = secretId.slice(prefix.length);
  return resource.endsWith(`-${SECRET_SUFFIX}`)
    ? resource.slice(0, -SECRET_SUFFIX.length - 1)
    : resource;
}

/** The full ARN Secrets Manager reports for a secret of this name. */
export function secretArnOf(name: string, where: FakeDeployment): string {
  return arn(where, 'secretsmanager', `secret:${name}-${SECRET_SUFFIX}`);
}
