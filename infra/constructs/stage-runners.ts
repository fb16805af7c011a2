import { Duration, IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type PipelineConfig,
  PipelineConfigSchema,
  type TableOverride,
  TablesConfigSchema,
} from '../../config/schema';
import { withoutSecrets } from '../../config/secret-fields';
import { acknowledgeTaskDefinition } from '../nag-acknowledgements';
import { caFilesBuildArg, carriedCaFiles, withBundledCaFiles } from './connection-tls';
import type { RunnerNetwork } from './network';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';
import { RunnerFunction, type RunnerFunctionDefaults } from './runner-function';
import { CONNECTIONS, type ConnectionName } from './secrets';

export interface StageRunnersProps {
  readonly config: PipelineConfig;
  readonly tables: Record<string, TableOverride>;
  /** Repository root: the Lambda entry points and the Fargate image's build context. */
  readonly rootDir: string;
  readonly network: RunnerNetwork;
  /** Each connection's secret: a runner gets the ARN of, and may read, those it opens only. */
  readonly secrets: Readonly<Record<ConnectionName, secretsmanager.ISecret>>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logs: PipelineLogGroupProps;
}

/**
 * The connections each runner opens, hence the secrets it may read (least privilege): the plan
 * reads the source (discovery) and takes the run lock in analytics; a stage task may run any
 * stage (extract: source → replica, load: replica → analytics, transform: analytics); summarize
 * closes the run in analytics. The Fargate task runs stages too.
 */
export const RUNNER_CONNECTIONS = {
  plan: ['source', 'analytics'],
  stage: CONNECTIONS,
  summarize: ['analytics'],
  task: CONNECTIONS,
} as const satisfies Record<string, readonly ConnectionName[]>;
export type RunnerName = keyof typeof RUNNER_CONNECTIONS;

/**
 * What runs the pipeline's code: the `plan`, `run-stage` and `summarize` Lambda functions, and a
 * Fargate cluster and task definition for tables too large for Lambda's 15 minutes. Each gets the
 * runtime configuration with the secret ARNs of the connections it opens, and may read those.
 */
export class StageRunners extends Construct {
  /**
   * Each runner's environment: pipeline.yml without any credential (config/secret-fields.ts) and
   * with the secret ARN of each connection the runner opens (PIPELINE_CONFIG), and tables.yml
   * (TABLES_CONFIG).
   */
  readonly environments: Readonly<Record<RunnerName, Readonly<Record<string, string>>>>;
  /** For another function that runs beside the stage runners (the Slack notifier). */
  readonly functionDefaults: RunnerFunctionDefaults;
  readonly planFunction: RunnerFunction;
  readonly stageFunction: RunnerFunction;
  readonly summarizeFunction: RunnerFunction;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: StageRunnersProps) {
    super(scope, id);
    const { config } = props;
    // The configured CA files, read now (a missing one fails the synth), carried into each bundle.
    const caFiles = carriedCaFiles(config);
    const runnerEnvironment = (connections: readonly ConnectionName[]) => ({
      PIPELINE_CONFIG: JSON.stringify(runtimeConfiguration(config, props.secrets, connections)),
      TABLES_CONFIG: JSON.stringify(withoutSecrets(TablesConfigSchema.shape.tables, props.tables)),
      POWERTOOLS_METRICS_NAMESPACE: 'OpenDentalEtl',
      NODE_OPTIONS: '--enable-source-maps',
    });
    this.environments = {
      plan: runnerEnvironment(RUNNER_CONNECTIONS.plan),
      stage: runnerEnvironment(RUNNER_CONNECTIONS.stage),
      summarize: runnerEnvironment(RUNNER_CONNECTIONS.summarize),
      task: runnerEnvironment(RUNNER_CONNECTIONS.task),
    };
    const secretsOf = (runner: RunnerName) =>
      RUNNER_CONNECTIONS[runner].map((name) => props.secrets[name]);
    this.functionDefaults = {
      rootDir: props.rootDir,
      memorySize: config.aws.lambda_memory_mb,
      network: props.network,
      deadLetterQueue: props.deadLetterQueue,
      logs: props.logs,
      reserveConcurrency: config.aws.reserved_concurrency,
    };

    this.planFunction = new RunnerFunction(this, 'PlanFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/plan.ts',
      timeout: Duration.minutes(5),
      concurrency: 2,
      environment: this.environments.plan,
      secrets: secretsOf('plan'),
      caFiles,
    });
    this.stageFunction = new RunnerFunction(this, 'StageFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/run-stage.ts',
      timeout: Duration.minutes(15),
      // The Map runs at most max_parallel_jobs tables at once (the Plan refuses more); 2 more
      // for an invocation still finishing after its state timed out and was retried.
      concurrency: config.general.max_parallel_jobs + 2,
      environment: this.environments.stage,
      secrets: secretsOf('stage'),
      caFiles,
    });
    this.summarizeFunction = new RunnerFunction(this, 'SummarizeFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/summarize.ts',
      timeout: Duration.minutes(2),
      concurrency: 2,
      environment: this.environments.summarize,
      secrets: secretsOf('summarize'),
      caFiles,
    });

    // Fargate: the same core in a container, for tables too large for Lambda's 15 minutes.
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'StageTask', {
      cpu: config.aws.fargate_cpu,
      memoryLimitMiB: config.aws.fargate_memory_mb,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const taskLogs = new PipelineLogGroup(this, 'StageTaskLogs', props.logs);
    this.container = this.taskDefinition.addContainer('stage', {
      image: ecs.ContainerImage.fromAsset(props.rootDir, {
        file: 'ecs-tasks/Dockerfile',
        // The task runs on ARM64: an image built for the deploying machine (x86, mostly) would
        // not start. The Dockerfile's build stage runs natively, so no emulation is needed.
        platform: Platform.LINUX_ARM64,
        // The context is what .dockerignore lets through, read as Docker reads it, so the staged
        // asset and a `podman build .` of the repository get the same files.
        ignoreMode: IgnoreMode.DOCKER,
        // The CA files, written beside the bundle by the build stage (ecs-tasks/build.ts).
        ...(caFiles.length > 0 ? { buildArgs: { CA_FILES: caFilesBuildArg(caFiles) } } : {}),
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'stage', logGroup: taskLogs }),
      environment: this.environments.task,
      // The root file system is read-only; a scratch volume gives the task a writable /tmp.
      readonlyRootFilesystem: true,
    });
    this.taskDefinition.addVolume({ name: 'scratch' });
    this.container.addMountPoints({
      containerPath: '/tmp',
      sourceVolume: 'scratch',
      readOnly: false,
    });
    for (const secret of secretsOf('task')) secret.grantRead(this.taskDefinition.taskRole);
    acknowledgeTaskDefinition(this.taskDefinition);
  }
}

/**
 * The pipeline configuration a runner gets in AWS: no credential at all (every field marked
 * secret is removed), and a secret ARN for exactly the connections it opens. A connection it
 * does not open keeps no `secret_id`, so its code never asks for a secret it may not read.
 * A configured `ca_file` names its copy in the bundle, `ca/<connection>.pem`.
 */
export function runtimeConfiguration(
  config: PipelineConfig,
  secrets: Readonly<Record<ConnectionName, secretsmanager.ISecret>>,
  connections: readonly ConnectionName[],
): PipelineConfig {
  const runtime = withBundledCaFiles(withoutSecrets(PipelineConfigSchema, config));
  // A provisioned database is, to its runners, a connection like any other: its generated
  // secret is the connection's secret_id, which the configuration refuses next to aws.databases.
  runtime.aws.databases = {};
  for (const name of CONNECTIONS) {
    if (connections.includes(name)) runtime.connections[name].secret_id = secrets[name].secretArn;
    else delete runtime.connections[name].secret_id;
  }
  return runtime;
}
