import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { RunnerNetwork } from './network';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';

/** What every Lambda function of the pipeline shares. */
export interface RunnerFunctionDefaults {
  /** Repository root: the entry points, `package.json` and `package-lock.json` are found here. */
  readonly rootDir: string;
  /** `aws.lambda_memory_mb`. */
  readonly memorySize: number;
  readonly network: RunnerNetwork;
  /** The runtime configuration (see `StageRunners.environment`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logs: PipelineLogGroupProps;
  /** Secrets the function may read: the connection secrets. */
  readonly secrets: readonly secretsmanager.ISecret[];
}

export interface RunnerFunctionProps extends RunnerFunctionDefaults {
  /** The handler's file, relative to `rootDir`; it exports `handler`. */
  readonly entry: string;
  readonly timeout: Duration;
  readonly reservedConcurrentExecutions: number;
  /** Variables added to `environment`. */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
}

/**
 * A pipeline Lambda function: Node.js 22 on ARM in the runners' private subnets, X-Ray tracing,
 * reserved concurrency, a dead-letter queue, its own log group (`<id>Logs`, beside it) and read
 * access to the connection secrets.
 */
export class RunnerFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RunnerFunctionProps) {
    super(scope, id, {
      entry: join(props.rootDir, props.entry),
      // Found from the repository, not the working directory: the CLI may run from anywhere.
      projectRoot: props.rootDir,
      depsLockFilePath: join(props.rootDir, 'package-lock.json'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      vpc: props.network.vpc,
      vpcSubnets: props.network.subnets,
      securityGroups: [props.network.securityGroup],
      environment: { ...props.environment, ...props.extraEnvironment },
      logGroup: new PipelineLogGroup(scope, `${id}Logs`, props.logs),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: props.deadLetterQueue,
      bundling: { target: 'node22', minify: true, sourceMap: true, externalModules: [] },
    });
    for (const secret of props.secrets) secret.grantRead(this);
  }
}
