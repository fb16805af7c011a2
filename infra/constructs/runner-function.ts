import { join } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledgeRunnerFunction } from '../nag-acknowledgements';
import { type CarriedCaFile, caCopyCommands } from './connection-tls';
import type { RunnerNetwork } from './network';
import { PipelineLogGroup, type PipelineLogGroupProps } from './pipeline-log-group';

/** What every Lambda function of the pipeline shares. */
export interface RunnerFunctionDefaults {
  /** Repository root: the entry points, `package.json` and `package-lock.json` are found here. */
  readonly rootDir: string;
  /** `aws.lambda_memory_mb`. */
  readonly memorySize: number;
  readonly network: RunnerNetwork;
  readonly deadLetterQueue: sqs.IQueue;
  readonly logs: PipelineLogGroupProps;
  /** `aws.reserved_concurrency`: reserve each function's `concurrency`. */
  readonly reserveConcurrency: boolean;
}

export interface RunnerFunctionProps extends Omit<RunnerFunctionDefaults, 'network'> {
  /** Its subnets and security group; `undefined` for a function that runs outside the VPC. */
  readonly network: RunnerNetwork | undefined;
  /** The handler's file, relative to `rootDir`; it exports `handler`. */
  readonly entry: string;
  readonly timeout: Duration;
  /** The most invocations it runs at once; reserved only with `reserveConcurrency`. */
  readonly concurrency: number;
  /** Its whole environment: what this function needs, nothing shared by default. */
  readonly environment: Readonly<Record<string, string>>;
  /** The secrets it may read: exactly those its code reads, and no other. */
  readonly secrets: readonly secretsmanager.ISecret[];
  /** The connections' CA files, copied into the bundle as `ca/<connection>.pem`. */
  readonly caFiles?: readonly CarriedCaFile[];
}

/**
 * A pipeline Lambda function: Node.js 22 on ARM in the given network (or none), X-Ray tracing, a
 * dead-letter queue, its own log group (`<id>Logs`, beside it), read access to its secrets only,
 * and reserved concurrency when the deployment opts in.
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
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.subnets,
      securityGroups: props.network && [props.network.securityGroup],
      environment: { ...props.environment },
      logGroup: new PipelineLogGroup(scope, `${id}Logs`, props.logs),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reserveConcurrency ? props.concurrency : undefined,
      deadLetterQueue: props.deadLetterQueue,
      bundling: {
        target: 'node22',
        minify: true,
        sourceMap: true,
        externalModules: [],
        ...(props.caFiles?.length ? { commandHooks: caCopyHooks(props.caFiles) } : {}),
      },
    });
    for (const secret of props.secrets) secret.grantRead(this);
    acknowledgeRunnerFunction(this, {
      reservedConcurrency: props.reserveConcurrency,
      inVpc: props.network !== undefined,
    });
  }
}

/** Bundling hooks that copy the CA files beside the bundle's index.js. */
function caCopyHooks(files: readonly CarriedCaFile[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => caCopyCommands(files, outputDir),
  };
}
