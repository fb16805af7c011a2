import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { type PipelineConfig, PipelineConfigSchema } from '../../config/schema';
import { ROOT_DIR } from '../../infra/build-app';
import { CONNECTIONS, type ConnectionName } from '../../infra/constructs/secrets';
import {
  RUNNER_CONNECTIONS,
  type RunnerName,
  StageRunners,
} from '../../infra/constructs/stage-runners';
import { bareStack, logicalIdOf, sharedResources } from '../helpers/bare-stack';

const PASSWORD = 'hunter2-never-in-the-template';
const { pipeline: config, tables } = loadConfig({
  env: {
    OPENDENTAL_SOURCE_PASSWORD: PASSWORD,
    OPENDENTAL_REPLICA_PASSWORD: PASSWORD,
    OPENDENTAL_ANALYTICS_PASSWORD: PASSWORD,
  },
});
const secretArn = (name: ConnectionName) =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:test/${name}-AbCdEf`;

let template: Template;
let runners: StageRunners;
let shared: ReturnType<typeof sharedResources>;

/** What the pipeline stack would hand StageRunners, made in `stack`. */
function runnersProps(stack: Stack) {
  const resources = sharedResources(stack);
  const secrets = Object.fromEntries(
    CONNECTIONS.map((name) => [
      name,
      secretsmanager.Secret.fromSecretCompleteArn(stack, `${name}Secret`, secretArn(name)),
    ]),
  ) as Record<ConnectionName, secretsmanager.ISecret>;
  return {
    config,
    tables,
    rootDir: ROOT_DIR,
    network: resources.network,
    secrets,
    deadLetterQueue: resources.deadLetterQueue,
    logs: resources.logs,
    resources,
  };
}

beforeAll(() => {
  const stack = bareStack();
  const props = runnersProps(stack);
  shared = props.resources;
  runners = new StageRunners(stack, 'StageRunners', props);
  template = Template.fromStack(stack);
});

const functionProps = (fn: Parameters<typeof logicalIdOf>[0]) =>
  template.toJSON().Resources[logicalIdOf(fn)].Properties as Record<string, unknown>;

describe('StageRunners: Lambda functions', () => {
  it('runs Lambda functions on Node.js 22 in the VPC, with the configured memory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      MemorySize: 1024,
      Timeout: 900,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
    });
  });

  it('has plan, stage and summarize, each with its timeout and no reserved concurrency by default', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    expect(config.aws.reserved_concurrency).toBe(false);
    const timeouts = [300, 900, 120];
    [runners.planFunction, runners.stageFunction, runners.summarizeFunction].forEach((fn, i) => {
      expect(functionProps(fn).Timeout).toBe(timeouts[i]);
      expect(functionProps(fn).ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  it('reserves concurrency when aws.reserved_concurrency is set, sized from general.max_parallel_jobs', () => {
    const sized = structuredClone(config);
    sized.aws.reserved_concurrency = true;
    sized.general.max_parallel_jobs = 6;
    const stack = bareStack();
    const reserved = new StageRunners(stack, 'StageRunners', {
      ...runnersProps(stack),
      config: sized,
    });
    const props = (fn: Parameters<typeof logicalIdOf>[0]) =>
      Template.fromStack(stack).toJSON().Resources[logicalIdOf(fn)].Properties;
    // The Map runs at most max_parallel_jobs stage tasks; 2 more for a timed-out invocation.
    expect(props(reserved.stageFunction).ReservedConcurrentExecutions).toBe(8);
    expect(props(reserved.planFunction).ReservedConcurrentExecutions).toBe(2);
    expect(props(reserved.summarizeFunction).ReservedConcurrentExecutions).toBe(2);
  });

  it('runs each on ARM in the private subnets and the runners’ security group, traced, with a dead-letter queue', () => {
    const subnetIds = shared.network.vpc.privateSubnets.map((s) => ({ Ref: logicalIdOf(s) }));
    for (const fn of [runners.planFunction, runners.stageFunction, runners.summarizeFunction]) {
      expect(functionProps(fn)).toMatchObject({
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: config.aws.lambda_memory_mb,
        TracingConfig: { Mode: 'Active' },
        DeadLetterConfig: {
          TargetArn: { 'Fn::GetAtt': [logicalIdOf(shared.deadLetterQueue), 'Arn'] },
        },
        VpcConfig: {
          SubnetIds: subnetIds,
          SecurityGroupIds: [
            { 'Fn::GetAtt': [logicalIdOf(shared.network.securityGroup), 'GroupId'] },
          ],
        },
      });
    }
  });

  it('gives each function and the Fargate task its own encrypted log group', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    const groups = template.findResources('AWS::Logs::LogGroup', {
      Properties: {
        RetentionInDays: 14,
        KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(shared.key), 'Arn'] },
      },
    });
    expect(Object.keys(groups)).toHaveLength(4);
    const used = [runners.planFunction, runners.stageFunction, runners.summarizeFunction].map(
      (fn) => (functionProps(fn).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(used).size).toBe(3);
    for (const group of used) expect(Object.keys(groups)).toContain(group);
  });
});

describe('StageRunners: runtime configuration and secrets', () => {
  const runtimeOf = (runner: RunnerName) =>
    JSON.parse(runners.environments[runner].PIPELINE_CONFIG ?? '') as PipelineConfig;

  it('passes pipeline.yml without passwords, with the secret ARN of each connection the runner opens', () => {
    for (const runner of Object.keys(RUNNER_CONNECTIONS) as RunnerName[]) {
      const runtime = runtimeOf(runner);
      for (const name of CONNECTIONS) {
        expect(config.connections[name].password).toBe(PASSWORD);
        expect(runtime.connections[name].password).toBeUndefined();
        expect(runtime.connections[name].host).toBe(config.connections[name].host);
        const opens = (RUNNER_CONNECTIONS[runner] as readonly ConnectionName[]).includes(name);
        expect(runtime.connections[name].secret_id, `${runner} ${name}`).toBe(
          opens ? secretArn(name) : undefined,
        );
      }
      // What the runtime reads back is a valid configuration: the password is empty again.
      expect(PipelineConfigSchema.parse(runtime).connections.source.password).toBe('');
      expect(JSON.parse(runners.environments[runner].TABLES_CONFIG ?? '')).toEqual(tables);
    }
    expect(RUNNER_CONNECTIONS).toEqual({
      plan: ['source', 'analytics'],
      stage: CONNECTIONS,
      summarize: ['analytics'],
      task: CONNECTIONS,
    });
    expect(JSON.stringify(template.toJSON())).not.toContain(PASSWORD);
    // The configuration the runners get is a copy: the stack's own config keeps its values.
    expect(config.connections.source.secret_id).not.toBe(secretArn('source'));
  });

  it('gives each Lambda function its own runtime configuration, and the Fargate container the task’s', () => {
    expect(functionProps(runners.planFunction).Environment).toEqual({
      Variables: runners.environments.plan,
    });
    expect(functionProps(runners.stageFunction).Environment).toEqual({
      Variables: runners.environments.stage,
    });
    expect(functionProps(runners.summarizeFunction).Environment).toEqual({
      Variables: runners.environments.summarize,
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith(
            Object.entries(runners.environments.task).map(([Name, Value]) => ({ Name, Value })),
          ),
        }),
      ],
    });
  });

  it('lets each function and the task role read the secrets of the connections it opens, and only those', () => {
    const expected: [iam.IRole, readonly ConnectionName[]][] = [
      [runners.planFunction.role as iam.IRole, ['source', 'analytics']],
      [runners.stageFunction.role as iam.IRole, CONNECTIONS],
      [runners.summarizeFunction.role as iam.IRole, ['analytics']],
      [runners.taskDefinition.taskRole, CONNECTIONS],
    ];
    for (const [role, connections] of expected) {
      const [policy] = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalIdOf(role) }] },
        }),
      );
      expect(policy, logicalIdOf(role)).toBeDefined();
      const statements = policy?.Properties.PolicyDocument.Statement as { Action: unknown }[];
      const secretStatements = statements.filter((s) =>
        JSON.stringify(s.Action).includes('secretsmanager:'),
      );
      expect(secretStatements, logicalIdOf(role)).toEqual(
        connections.map((name) => ({
          Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          Effect: 'Allow',
          Resource: secretArn(name),
        })),
      );
    }
  });
});

describe('StageRunners: Fargate', () => {
  it('has a cluster with Container Insights and an ARM task definition of the configured size', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    template.resourceCountIs('AWS::ECS::TaskDefinition', 1);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: String(config.aws.fargate_cpu),
      Memory: String(config.aws.fargate_memory_mb),
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  it('runs the container with a read-only root file system and a writable scratch /tmp', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'scratch' }],
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'stage',
          ReadonlyRootFilesystem: true,
          MountPoints: [{ ContainerPath: '/tmp', SourceVolume: 'scratch', ReadOnly: false }],
        }),
      ],
    });
  });

  it('builds the image from ecs-tasks/Dockerfile and logs to the task’s own log group', () => {
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const container = taskDefinition?.Properties.ContainerDefinitions[0];
    expect(container.LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: { 'awslogs-stream-prefix': 'stage', 'awslogs-group': { Ref: expect.any(String) } },
    });
    const group = container.LogConfiguration.Options['awslogs-group'].Ref as string;
    expect(template.toJSON().Resources[group].Type).toBe('AWS::Logs::LogGroup');

    const assembly = (runners.node.root as App).synth();
    const images = assembly.artifacts
      .filter((a) => a instanceof cxapi.AssetManifestArtifact)
      .flatMap((a) => Object.entries(a.contents.dockerImages ?? {}));
    expect(images).toHaveLength(1);
    const [hash, image] = images[0] ?? [];
    expect(image?.source.dockerFile).toBe('ecs-tasks/Dockerfile');
    // The task is ARM64: an image built for the deploying machine's platform would not start.
    expect(image?.source.platform).toBe('linux/arm64');
    expect(JSON.stringify(container.Image)).toContain(`:${hash}`);
    // The build context is the repository without what the image must not carry.
    const context = join(assembly.directory, image?.source.directory ?? '');
    expect(existsSync(join(context, 'ecs-tasks/Dockerfile'))).toBe(true);
    for (const excluded of ['node_modules', '.git', 'test', 'docs']) {
      expect(existsSync(join(context, excluded)), excluded).toBe(false);
    }
  });
});
