import { Duration, IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { PipelineConfig, TableOverride } from '../../config/schema';
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
  /** Each connection's secret: its ARN goes into the runtime configuration, and runners read it. */
  readonly secrets: Readonly<Record<ConnectionName, secretsmanager.ISecret>>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logs: PipelineLogGroupProps;
}

/**
 * What runs the pipeline's code: the `plan`, `run-stage` and `summarize` Lambda functions, and a
 * Fargate cluster and task definition for tables too large for Lambda's 15 minutes. All of them
 * get the same runtime configuration and read the connection secrets.
 */
export class StageRunners extends Construct {
  /**
   * The runtime configuration of every runner: pipeline.yml without passwords and with each
   * connection's secret ARN instead (PIPELINE_CONFIG), and tables.yml (TABLES_CONFIG).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** For another function that runs like the stage runners (the Slack notifier). */
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
    const runtimeConfig: PipelineConfig = structuredClone(config);
    for (const name of CONNECTIONS) {
      runtimeConfig.connections[name].password = '';
      runtimeConfig.connections[name].secret_id = props.secrets[name].secretArn;
    }
    this.environment = {
      PIPELINE_CONFIG: JSON.stringify(runtimeConfig),
      TABLES_CONFIG: JSON.stringify(props.tables),
      POWERTOOLS_METRICS_NAMESPACE: 'OpenDentalEtl',
      NODE_OPTIONS: '--enable-source-maps',
    };
    const secrets = CONNECTIONS.map((name) => props.secrets[name]);
    this.functionDefaults = {
      rootDir: props.rootDir,
      memorySize: config.aws.lambda_memory_mb,
      network: props.network,
      environment: this.environment,
      deadLetterQueue: props.deadLetterQueue,
      logs: props.logs,
      secrets,
    };

    this.planFunction = new RunnerFunction(this, 'PlanFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/plan.ts',
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: 2,
    });
    this.stageFunction = new RunnerFunction(this, 'StageFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/run-stage.ts',
      timeout: Duration.minutes(15),
      // Bounds the load on the clinic's server: the Map's parallelism plus retries.
      reservedConcurrentExecutions: config.general.parallel_jobs + 2,
    });
    this.summarizeFunction = new RunnerFunction(this, 'SummarizeFunction', {
      ...this.functionDefaults,
      entry: 'lambdas/aws/summarize.ts',
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 2,
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
      }),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'stage', logGroup: taskLogs }),
      environment: this.environment,
      // The root file system is read-only; a scratch volume gives the task a writable /tmp.
      readonlyRootFilesystem: true,
    });
    this.taskDefinition.addVolume({ name: 'scratch' });
    this.container.addMountPoints({
      containerPath: '/tmp',
      sourceVolume: 'scratch',
      readOnly: false,
    });
    for (const secret of secrets) secret.grantRead(this.taskDefinition.taskRole);
  }
}
