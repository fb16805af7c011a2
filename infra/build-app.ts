import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { type LoadedConfig, loadConfig } from '../config/load-config';
import { assertEnvironmentSizes } from './limits/environment-size';
import { applyHistoryBudget } from './limits/history-budget';
import { acknowledgeFindings } from './nag-acknowledgements';
import { PipelineStack } from './pipeline-stack';

export const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

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
   * Refuse a configuration that cannot work in AWS: a run that could pass Step Functions'
   * history limit, an environment over Lambda's 4 KB (default true; docs/deploy.md, Limits).
   * The local runner turns it off: neither limit exists locally.
   */
  checkAwsLimits?: boolean;
}

/** The CDK app with the pipeline stack: used by `cdk synth`, the tests and the local runner. */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const { pipeline, tables } =
    options.config ?? loadConfig({ path: process.env.CONFIG_PATH, cwd: ROOT_DIR });
  const app = new App({
    outdir: options.outdir,
    builtinCloudFormationValidation: options.validateTemplates ?? true,
    // An empty bundling list skips esbuild and Docker work when only the template is needed.
    context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {},
  });
  const stack = new PipelineStack(app, pipeline.aws.stack_name, {
    config: pipeline,
    tables,
    rootDir: ROOT_DIR,
    env: { region: pipeline.aws.region },
  });
  acknowledgeFindings(stack);
  if (options.checkAwsLimits ?? true) {
    applyHistoryBudget(stack, pipeline, tables);
    assertEnvironmentSizes(stack);
  }
  return { app, stack };
}
