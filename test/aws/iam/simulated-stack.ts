import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedConfig } from '../../../config/load-config';
import { buildApp } from '../../../infra/build-app';
import { functionPaths } from './function-paths';
import { PolicyStore } from './policy-store';
import { SecretCatalog } from './secret-catalog';
import { SecretUsage } from './secret-usage';
import { ServiceRules } from './service-rules';
import type { Access } from './simulate';
import { type StateMachinePaths, stateMachinePaths } from './state-machine-paths';
import { taskPaths } from './task-paths';
import { type CfnTemplate, TemplateResolver } from './template-resolver';

/** The fake account every simulated ARN lives in. */
export const ACCOUNT = '111122223333';

/** The synthesized stack, resolved, with the call paths derived from its ASL, template and code. */
export interface SimulatedStack {
  resolver: TemplateResolver;
  store: PolicyStore;
  rules: ServiceRules;
  catalog: SecretCatalog;
  /** The state machine's calls, and the Lambda and Fargate tasks of its definition. */
  machine: StateMachinePaths;
  /** What the Lambda functions call (and Lambda assuming their roles). */
  functions: Access[];
  /** What the Fargate tasks' execution and task roles call (and ECS assuming them). */
  tasks: Access[];
  /** The secrets each role's code uses, and what could not be derived. */
  secrets: SecretUsage;
}

/**
 * Synthesizes the pipeline stack for `config` as `cdk synth` would (no bundling: only the
 * template matters) and derives what every principal of it calls.
 */
export async function simulatedStack(config: LoadedConfig): Promise<SimulatedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'etl-iam-'));
  try {
    const { app, stack } = buildApp({ config, bundle: false, outdir, validateTemplates: false });
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const resolver = new TemplateResolver(
      template,
      { account: ACCOUNT, region: config.pipeline.aws.region },
      stack.stackName,
    );
    const rules = new ServiceRules(resolver);
    const catalog = new SecretCatalog(resolver);
    const machine = stateMachinePaths(resolver, rules);
    const secrets = new SecretUsage(rules, catalog, config.pipeline);
    const functions = await functionPaths(resolver, rules, secrets, machine);
    const tasks = await taskPaths(resolver, rules, secrets, machine);
    const store = new PolicyStore(resolver);
    return { resolver, store, rules, catalog, machine, functions, tasks, secrets };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * One access per distinct request (principal, action, resource, context), naming every call path
 * that makes it.
 */
export function unique(accesses: readonly Access[]): Access[] {
  const seen = new Map<string, Access>();
  for (const a of accesses) {
    const key = JSON.stringify([a.principal, a.action, a.resource, a.context ?? {}]);
    const first = seen.get(key);
    if (!first) seen.set(key, { ...a });
    else if (!first.because.split('; ').includes(a.because)) first.because += `; ${a.because}`;
  }
  return [...seen.values()];
}
