import { relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { assertSelectedEnvironment, selectConfigPath, stackNameOf } from '../config/environment';
import { type LoadedConfig, loadConfig } from '../config/load-config';
import type { PipelineConfig } from '../config/schema';
import { ConfigError } from '../contract/errors';
import { assertTlsInAws } from './constructs/connection-tls';
import { assertEnvironmentSizes } from './limits/environment-size';
import { assertHistoryWithinLimit } from './limits/history-limit';
import { definitionOf } from './limits/resolve-definition';
import { acknowledgeFindings } from './nag-acknowledgements';
import { PipelineStack } from './pipeline-stack';
import { ROOT_DIR } from './root-dir';

export { ROOT_DIR };

export interface BuildAppOptions {
  /** A loaded configuration; default: config/pipeline.yml (CONFIG_PATH overrides). */
  config?: LoadedConfig;
  /** Bundle the Lambda functions (needed to deploy; not to read the definition). */
  bundle?: boolean;
  outdir?: string;
  /**
   * Run CDK's built-in CloudFormation template validation on synth (default true). The local
   * runner turns it off: it only reads the state machine definition, and the check costs seconds.
   */
  validateTemplates?: boolean;
  /**
   * CDK context (`-c key=value`), e.g. `{ env: 'prod' }`: the environment to synthesize, or
   * `{ account: '…' }`; the tests pass lookups' answers this way too.
   */
  context?: Record<string, unknown>;
  /** Where `CONFIG_PATH` and `CDK_DEFAULT_ACCOUNT` are read (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
  /**
   * Refuse a stack that cannot work in AWS: an execution that could pass Step Functions' history
   * limit, an environment over Lambda's 4 KB (default true; docs/deploy.md, Limits), a
   * connection without verified TLS and without `allow_plaintext` (docs/tls.md).
   * The local runner turns it off: none of these applies locally (its databases may be loopback).
   */
  checkAwsLimits?: boolean;
}

/** The CDK app with the pipeline stack: used by `cdk synth`, the tests and the local runner. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const env = options.env ?? process.env;
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.validateTemplates ?? true,
    context: {
      ...options.context,
      // An empty bundling list skips esbuild and Docker work when only the template is needed.
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const { pipeline, tables, files } = selectedConfig(app, env, options.config);
  if (options.checkAwsLimits ?? true) assertTlsInAws(pipeline, shownPath(files.pipeline));
  const stack = new PipelineStack(app, stackNameOf(pipeline.aws), {
    config: pipeline,
    tables,
    rootDir: ROOT_DIR,
    env: { region: pipeline.aws.region, account: stackAccount(pipeline, app, env) },
  });
  acknowledgeFindings(stack, stack.pipeline.stateMachine);
  if (options.checkAwsLimits ?? true) {
    assertHistoryWithinLimit(
      definitionOf(stack, stack.pipeline.stateMachine),
      pipeline.general.max_retries,
      pipeline.runners.group_max_tables,
    );
    assertEnvironmentSizes(stack);
  }
  return { app, stack };
}

/** A file as messages show it: relative to the working directory when inside it. */
function shownPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown && !shown.startsWith('..') ? shown : path;
}

/**
 * The configuration to synthesize: `options.config`, else `CONFIG_PATH`, else the file of the
 * environment the context `env` selects (`-c env=prod`: config/pipeline.prod.yml), else
 * config/pipeline.yml. With `env` selected, the file must be that environment's.
 */
function selectedConfig(app: App, env: NodeJS.ProcessEnv, given?: LoadedConfig): LoadedConfig {
  const environment: unknown = app.node.tryGetContext('env');
  const path = selectConfigPath({ environment, configPath: env.CONFIG_PATH });
  // `-c region=…` stands where the environment's region would (aws.region in the file wins).
  const region: unknown = app.node.tryGetContext('region');
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(String(region)))
    throw new ConfigError(`-c region=${String(region)}: not an AWS region such as us-east-1`, {
      stage: 'config',
    });
  const loadEnv = region === undefined ? env : { ...env, AWS_REGION: String(region) };
  const config = given ?? loadConfig({ path, cwd: ROOT_DIR, env: loadEnv });
  assertSelectedEnvironment(
    environment,
    config.pipeline.aws,
    relative(ROOT_DIR, config.files.pipeline),
  );
  return config;
}

/**
 * The stack's account, from the first of: `aws.account` in the config, the CDK context
 * (`npx cdk synth -c account=123456789012`), and, for `aws.network.type: existing_vpc` only, the
 * standard CDK environment (`CDK_DEFAULT_ACCOUNT`, which the cdk CLI sets from the credentials).
 * Otherwise the stack stays account-agnostic, so `cdk synth` is the same offline and with anyone's
 * credentials. `Vpc.fromLookup` needs an account: without one, a ConfigError says what to set
 * (CDK would fail with StackAccountRegionNotSpecified). The region is always `aws.region`: the
 * CLI's `run --target aws` and `verify` find the stack there.
 */
function stackAccount(
  pipeline: PipelineConfig,
  app: App,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (pipeline.aws.account) return pipeline.aws.account;
  const fromContext: unknown = app.node.tryGetContext('account');
  if (fromContext !== undefined) {
    const account = String(fromContext);
    if (/^\d{12}$/.test(account)) return account;
    throw new ConfigError('-c account=…: must be a 12-digit AWS account id', { stage: 'config' });
  }
  if (pipeline.aws.network.type !== 'existing_vpc') return undefined;
  if (env.CDK_DEFAULT_ACCOUNT) return env.CDK_DEFAULT_ACCOUNT;
  throw new ConfigError(
    'aws.network.type existing_vpc looks the VPC up in an account, and none is known: set aws.account in pipeline.yml (12 digits, quoted), pass -c account=<12 digits> to cdk, or let the cdk CLI set CDK_DEFAULT_ACCOUNT from your AWS credentials',
    { stage: 'config' },
  );
}
