import { createHash } from 'node:crypto';

/** A CloudFormation template, as CDK synthesizes it. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** The one fake account and region every ARN of a simulation lives in. */
export interface FakeEnvironment {
  account: string;
  region: string;
}

/** `Ref` and each `Fn::GetAtt` attribute of the resource types the pipeline's policies name. */
type Naming = (name: string, env: FakeEnvironment, props: Record<string, unknown>) => NamingOf;
interface NamingOf {
  ref: string;
  attributes: Record<string, string>;
}

const arn = (service: string, env: FakeEnvironment, rest: string, global = false) =>
  `arn:aws:${service}:${global ? '' : env.region}:${env.account}:${rest}`;

const NAMING: Record<string, Naming> = {
  'AWS::IAM::Role': (name, env) => {
    const roleArn = `arn:aws:iam::${env.account}:role/${name}`;
    return { ref: name, attributes: { Arn: roleArn, RoleId: `AROA${token(name, 17)}` } };
  },
  'AWS::IAM::Policy': (name) => ({ ref: name, attributes: {} }),
  'AWS::Lambda::Function': (name, env) => ({
    ref: name,
    attributes: { Arn: arn('lambda', env, `function:${name}`) },
  }),
  'AWS::SNS::Topic': (name, env) => {
    const topicArn = arn('sns', env, name);
    return { ref: topicArn, attributes: { TopicArn: topicArn, TopicName: name } };
  },
  'AWS::SQS::Queue': (name, env) => {
    const url = `https://sqs.${env.region}.amazonaws.com/${env.account}/${name}`;
    return {
      ref: url,
      attributes: { Arn: arn('sqs', env, name), QueueName: name, QueueUrl: url },
    };
  },
  'AWS::KMS::Key': (name, env) => {
    const id = keyId(name);
    return { ref: id, attributes: { Arn: arn('kms', env, `key/${id}`), KeyId: id } };
  },
  'AWS::SecretsManager::Secret': (name, env) => {
    // The full ARN: Secrets Manager appends six random characters to the name.
    const secretArn = `${arn('secretsmanager', env, `secret:${name}`)}-${token(name, 6)}`;
    return { ref: secretArn, attributes: { Id: secretArn } };
  },
  'AWS::SecretsManager::SecretTargetAttachment': (name, env, props) => {
    // Its Ref is the ARN of the secret it attaches (an RDS instance's generated secret).
    const secret = (props.SecretId as { Ref?: string } | undefined)?.Ref;
    if (!secret) throw new Error(`cannot name ${name}: its SecretId is not a Ref to a secret`);
    return {
      ref: `${arn('secretsmanager', env, `secret:${secret}`)}-${token(secret, 6)}`,
      attributes: {},
    };
  },
  'AWS::Logs::LogGroup': (name, env) => ({
    ref: name,
    // CloudFormation's Arn attribute of a log group ends in ":*".
    attributes: { Arn: `${arn('logs', env, `log-group:${name}`)}:*` },
  }),
  'AWS::ECS::Cluster': (name, env) => ({
    ref: name,
    attributes: { Arn: arn('ecs', env, `cluster/${name}`) },
  }),
  'AWS::ECS::TaskDefinition': (name, env, props) => {
    const family = typeof props.Family === 'string' ? props.Family : name;
    const taskArn = arn('ecs', env, `task-definition/${family}:1`);
    return { ref: taskArn, attributes: { TaskDefinitionArn: taskArn } };
  },
  'AWS::StepFunctions::StateMachine': (name, env) => {
    const machineArn = arn('states', env, `stateMachine:${name}`);
    return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
  },
  'AWS::CloudWatch::Alarm': (name, env) => ({
    ref: name,
    attributes: { Arn: arn('cloudwatch', env, `alarm:${name}`) },
  }),
  'AWS::Events::Rule': (name, env, props) => {
    // On a custom bus the ARN holds the bus's name too (rule/bus/name), and Ref is "bus|name".
    if (props.EventBusName !== undefined && props.EventBusName !== 'default')
      throw new Error(`cannot name ${name}: a rule on a custom event bus is not modelled`);
    return { ref: name, attributes: { Arn: arn('events', env, `rule/${name}`) } };
  },
  'AWS::Scheduler::Schedule': (name, env) => ({
    ref: name,
    attributes: { Arn: arn('scheduler', env, `schedule/default/${name}`) },
  }),
  'AWS::EC2::VPC': (name) => ({
    ref: `vpc-${token(name, 17)}`,
    attributes: { VpcId: `vpc-${token(name, 17)}`, DefaultSecurityGroup: `sg-${token(name, 17)}` },
  }),
  'AWS::EC2::Subnet': (name) => ({
    ref: `subnet-${token(name, 17)}`,
    attributes: { SubnetId: `subnet-${token(name, 17)}` },
  }),
  'AWS::EC2::SecurityGroup': (name) => ({
    ref: `sg-${token(name, 17)}`,
    attributes: { GroupId: `sg-${token(name, 17)}` },
  }),
};

/** A stable lower-case hex token of `length` characters derived from `seed`. */
export function token(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function keyId(seed: string): string {
  const h = token(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Resolves CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`,
 * `Fn::Split`) to concrete values in one fake account and region, the same value for the same
 * reference everywhere, so identity policies, resource policies, the state machine definition and
 * the environment agree as they would once deployed. Each resource's physical name is its logical
 * id. Anything it cannot resolve (another intrinsic, a condition, a resource type or attribute it
 * does not know, a parameter) throws: a guess would make the simulation prove nothing.
 */
export class TemplateResolver {
  constructor(
    readonly template: CfnTemplate,
    readonly env: FakeEnvironment,
    readonly stackName: string,
  ) {}

  /** `value` with every intrinsic resolved, deeply. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::')))
      return this.intrinsic(first[0], first[1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** `value` resolved, which must be a string. */
  string(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string')
      throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  /** The resources of `type`, by logical id. */
  resourcesOf(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  /** The resolved properties of resource `id`. */
  properties(id: string): Record<string, unknown> {
    return this.resolve(this.resource(id).Properties ?? {}) as Record<string, unknown>;
  }

  /** The logical id of the resource of `type` whose `Ref` or attribute `attribute` is `value`. */
  idOf(type: string, value: string, attribute?: string): string {
    const found = this.resourcesOf(type).find(([id]) => {
      const naming = this.naming(id);
      return (attribute ? naming.attributes[attribute] : naming.ref) === value;
    });
    if (!found) throw new Error(`no ${type} in the template is ${value}`);
    return found[0];
  }

  ref(id: string): string {
    const pseudo = this.pseudo(id);
    return pseudo ?? this.naming(id).ref;
  }

  getAtt(id: string, attribute: string): string {
    const value = this.naming(id).attributes[attribute];
    if (value === undefined)
      throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} (${this.resource(id).Type})`);
    return value;
  }

  private resource(id: string): CfnResource {
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`the template has no resource ${id}`);
    return resource;
  }

  private naming(id: string): NamingOf {
    const resource = this.resource(id);
    const naming = NAMING[resource.Type];
    if (!naming)
      throw new Error(`cannot name ${id}: resource type ${resource.Type} is not modelled`);
    return naming(id, this.env, resource.Properties ?? {});
  }

  private pseudo(name: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': this.env.region,
      'AWS::AccountId': this.env.account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.stackName,
      // CloudFormation appends a UUID it generates at creation.
      'AWS::StackId': arn(
        'cloudformation',
        this.env,
        `stack/${this.stackName}/${keyId(this.stackName)}`,
      ),
    };
    return values[name];
  }

  private intrinsic(name: string, args: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(args as string);
      case 'Fn::GetAtt': {
        const [id, attribute] = (
          typeof args === 'string' ? args.split(/\.(.+)/) : (args as string[])
        ) as [string, string];
        return this.getAtt(id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = args as [string, unknown[]];
        return (this.resolve(parts) as unknown[]).map((p) => this.asString(p)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = args as [unknown, unknown];
        const items = this.resolve(list) as unknown[];
        const i = Number(this.resolve(index));
        if (!Array.isArray(items) || i < 0 || i >= items.length)
          throw new Error(`Fn::Select ${i} out of range`);
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, source] = args as [string, unknown];
        return this.string(source).split(separator);
      }
      case 'Fn::Sub':
        return this.sub(args);
      default:
        throw new Error(`cannot resolve ${name}: not modelled by the permission simulation`);
    }
  }

  private sub(args: unknown): string {
    const [text, variables] = (typeof args === 'string' ? [args, {}] : args) as [
      string,
      Record<string, unknown>,
    ];
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
      if (literal) return `\${${name}}`;
      if (name in variables) return this.string(variables[name]);
      const [id, attribute] = name.split(/\.(.+)/) as [string, string | undefined];
      return attribute ? this.getAtt(id, attribute) : this.ref(id);
    });
  }

  private asString(value: unknown): string {
    if (typeof value !== 'string') throw new Error(`cannot join ${JSON.stringify(value)}`);
    return value;
  }
}
