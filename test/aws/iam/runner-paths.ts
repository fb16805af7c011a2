import type { PipelineConfig } from '../../../config/schema';
import type { StageName } from '../../../contract/stage';
import {
  ALERT_SUBSCRIBER_ADAPTER,
  connectionsOpened,
  environmentRead,
  factoryOfLambdaState,
  type HandlerFactory,
  secretsReadAtStart,
} from './code-usage';
import type { SecretCatalog } from './secret-catalog';
import type { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import type { StateMachinePaths } from './state-machine-paths';
import type { TemplateResolver } from './template-resolver';

export interface RunnerPaths {
  /** What the Lambda functions call (and Lambda assuming their roles). */
  functions: Access[];
  /** What the Fargate tasks' execution and task roles call (and ECS assuming them). */
  tasks: Access[];
  /** The secrets each role's code uses (full ARNs): the baseline for least privilege. */
  secretsUsed: Map<string, Set<string>>;
  /** What could not be derived (a connection opened without a secret to read): each a failure. */
  problems: string[];
}

const LOG_STREAM = '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const ECR_IMAGE = /^(\d+)\.dkr\.ecr\.([^.]+)\.amazonaws\.com\/([^:@]+)/;

/**
 * What the pipeline's runners call, with their own roles: each Lambda function (its log group,
 * X-Ray, its network interfaces, its dead-letter queue, the secrets its code reads) and each
 * Fargate task definition the state machine runs (execution role: image pull, logs, container
 * secrets; task role: the secrets of the stage handler).
 */
export async function runnerPaths(
  r: TemplateResolver,
  rules: ServiceRules,
  catalog: SecretCatalog,
  config: PipelineConfig,
  machine: StateMachinePaths,
): Promise<RunnerPaths> {
  const out: RunnerPaths = { functions: [], tasks: [], secretsUsed: new Map(), problems: [] };
  let sink = out.functions;
  const { region, account } = r.env;
  const use = (role: string, secretArn: string, because: string) => {
    const used = out.secretsUsed.get(role) ?? new Set<string>();
    out.secretsUsed.set(role, used.add(secretArn));
    sink.push(...rules.readSecret(role, secretArn, because));
  };
  /** A handler's secrets: those of the connections it opens, and those it reads at start-up. */
  const handlerSecrets = async (
    role: string,
    factory: HandlerFactory,
    stages: StageName[],
    env: Record<string, string>,
    who: string,
  ) => {
    const runtime = JSON.parse(env.PIPELINE_CONFIG ?? '{}') as PipelineConfig;
    for (const connection of connectionsOpened(factory, stages, config)) {
      const secretId =
        runtime.connections?.[connection as keyof PipelineConfig['connections']]?.secret_id;
      if (!secretId) {
        out.problems.push(`${who} opens ${connection}, but its environment names no secret`);
        continue;
      }
      use(role, catalog.add(secretId), `${who} opens connection ${connection}`);
    }
    for (const secretId of await secretsReadAtStart(env))
      sink.push(...rules.readSecret(role, catalog.add(secretId), `${who} reads it at start-up`));
  };

  const subscribed = r
    .resourcesOf('AWS::SNS::Subscription')
    .map(([id]) => r.properties(id))
    .filter((s) => s.Protocol === 'lambda')
    .map((s) => s.Endpoint as string);

  for (const [id] of r.resourcesOf('AWS::Lambda::Function')) {
    const fn = r.properties(id) as Record<string, Record<string, unknown> | string | undefined>;
    const role = fn.Role as string;
    const arn = r.getAtt(id, 'Arn');
    const env = ((fn.Environment as { Variables?: Record<string, string> })?.Variables ??
      {}) as Record<string, string>;
    const add = (action: string, resource: string, because: string) =>
      sink.push({ principal: role, action, resource, because });
    sink.push({
      principal: 'lambda.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: role,
      because: `Lambda runs ${id} as its role`,
    });
    const logGroup = (fn.LoggingConfig as { LogGroup?: string })?.LogGroup ?? `/aws/lambda/${id}`;
    sink.push(...rules.writeLogs(role, logGroup, LOG_STREAM, `${id} logs`));
    if ((fn.TracingConfig as { Mode?: string })?.Mode === 'Active')
      for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
        add(action, '*', `${id} traces to X-Ray`);
    const vpc = fn.VpcConfig as { SubnetIds: string[]; SecurityGroupIds: string[] } | undefined;
    if (vpc) {
      // Lambda creates and removes the function's network interfaces with its role.
      const ec2 = (what: string) => `arn:aws:ec2:${region}:${account}:${what}`;
      const eni = ec2('network-interface/eni-0123456789abcdef0');
      for (const subnet of vpc.SubnetIds)
        add('ec2:CreateNetworkInterface', ec2(`subnet/${subnet}`), `${id} in its VPC`);
      for (const group of vpc.SecurityGroupIds)
        add('ec2:CreateNetworkInterface', ec2(`security-group/${group}`), `${id} in its VPC`);
      for (const action of ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'])
        add(action, '*', `${id} in its VPC`);
      for (const action of [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ])
        add(action, eni, `${id} in its VPC`);
    }
    const deadLetters = (fn.DeadLetterConfig as { TargetArn?: string })?.TargetArn;
    if (deadLetters?.startsWith('arn:aws:sqs:'))
      sink.push(...rules.send(role, deadLetters, `${id} dead letters`));
    else if (deadLetters) sink.push(...rules.publish(role, deadLetters, `${id} dead letters`));

    // Its code: the handlers of the states that invoke it, or the alert subscriber.
    const tasks = machine.lambdaTasks.filter(
      (t) => t.functionArn === arn || t.functionArn.startsWith(`${arn}:`),
    );
    for (const factory of new Set(tasks.map((t) => factoryOfLambdaState(t.state)))) {
      const stages = tasks
        .filter((t) => factoryOfLambdaState(t.state) === factory && t.stage)
        .map((t) => t.stage as StageName);
      await handlerSecrets(role, factory, stages, env, `${id} (${factory})`);
    }
    if (subscribed.includes(arn))
      for (const variable of environmentRead(ALERT_SUBSCRIBER_ADAPTER)) {
        const value = env[variable];
        if (value?.startsWith('arn:aws:secretsmanager:'))
          use(role, catalog.add(value), `${id} (${ALERT_SUBSCRIBER_ADAPTER}) reads ${variable}`);
      }
  }

  sink = out.tasks;
  for (const taskDefinitionId of new Set(machine.ecsTasks.map((t) => t.taskDefinitionId))) {
    const definition = r.properties(taskDefinitionId);
    const taskRole = definition.TaskRoleArn as string | undefined;
    const executionRole = definition.ExecutionRoleArn as string | undefined;
    for (const role of [taskRole, executionRole].filter((x): x is string => !!x))
      sink.push({
        principal: 'ecs-tasks.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: role,
        because: `ECS runs ${taskDefinitionId} with its roles`,
      });
    const stages = machine.ecsTasks
      .filter((t) => t.taskDefinitionId === taskDefinitionId)
      .map((t) => t.stage);
    type Container = {
      Name: string;
      Image: string;
      Environment?: { Name: string; Value: string }[];
      Secrets?: { Name: string; ValueFrom: string }[];
      LogConfiguration?: { LogDriver: string; Options: Record<string, string> };
    };
    for (const container of definition.ContainerDefinitions as Container[]) {
      const who = `${taskDefinitionId} container ${container.Name}`;
      if (!executionRole) throw new Error(`${who}: no execution role to start it`);
      const image = ECR_IMAGE.exec(container.Image);
      if (image) {
        const repository = `arn:aws:ecr:${image[2]}:${image[1]}:repository/${image[3]}`;
        const pull = (action: string, resource: string) =>
          sink.push({
            principal: executionRole,
            action,
            resource,
            because: `ECS pulls ${container.Image} for ${who}`,
          });
        pull('ecr:GetAuthorizationToken', '*');
        for (const action of [
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
        ])
          pull(action, repository);
      }
      const logs = container.LogConfiguration;
      if (logs?.LogDriver === 'awslogs') {
        const stream = `${logs.Options['awslogs-stream-prefix']}/${container.Name}/${TASK_ID}`;
        sink.push(
          ...rules.writeLogs(executionRole, logs.Options['awslogs-group'] ?? '', stream, who),
        );
      }
      // ValueFrom may name a JSON key after the ARN (arn:…:secret:name-abcdef:key::).
      for (const secret of container.Secrets ?? [])
        use(
          executionRole,
          catalog.add(secret.ValueFrom.split(':').slice(0, 7).join(':')),
          `${who} secret ${secret.Name}`,
        );
      if (!taskRole) throw new Error(`${who}: no task role for its code`);
      const env = Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value]));
      await handlerSecrets(taskRole, 'createRunStageHandler', stages, env, who);
    }
  }
  return out;
}
