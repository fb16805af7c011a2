import type { Stack } from 'aws-cdk-lib';
import { CfnTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigError } from '../../contract/errors';
import { resolveIntrinsics, resourcesOf } from './resolve-definition';

/**
 * Lambda's limit on a function's environment: 4 KB for all variables together, keys and encoding
 * included. Measured here as the variables' JSON (UTF-8), the most a measure can count. The
 * Fargate container gets the same runtime configuration; ECS has no such limit, but the container
 * is measured too, so that it never becomes the one runner a configuration fits.
 */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

export interface RunnerEnvironment {
  kind: 'lambda' | 'container';
  /** The function's or container's construct path. */
  path: string;
  variables: Record<string, string>;
}

/** The size of an environment as Lambda measures it (at most). */
export function environmentBytes(variables: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(variables), 'utf8');
}

/**
 * Every Lambda function's and every container's environment in `stack`, as deployed: references
 * (secret ARNs, partitions, accounts) resolved to placeholder values of realistic length.
 */
export function environmentsOf(stack: Stack): RunnerEnvironment[] {
  const resources = resourcesOf(stack);
  const text = (v: unknown) => resolveIntrinsics(stack.resolve(v), resources, stack.region);
  const found: RunnerEnvironment[] = [];
  for (const c of stack.node.findAll()) {
    if (c instanceof CfnFunction) {
      const env = stack.resolve(c.environment) as { variables?: Record<string, unknown> } | null;
      const variables = Object.entries(env?.variables ?? {}).map(([k, v]) => [k, text(v)]);
      found.push({ kind: 'lambda', path: c.node.path, variables: Object.fromEntries(variables) });
    }
    if (c instanceof CfnTaskDefinition) {
      const containers = stack.resolve(c.containerDefinitions) as {
        name: string;
        environment?: { name: string; value: unknown }[];
      }[];
      for (const container of containers ?? []) {
        const variables = (container.environment ?? []).map((e) => [e.name, text(e.value)]);
        found.push({
          kind: 'container',
          path: `${c.node.path}/${container.name}`,
          variables: Object.fromEntries(variables),
        });
      }
    }
  }
  return found;
}

/**
 * Refuses a stack with a Lambda function whose environment passes 4 KB: CloudFormation would
 * fail the deployment part-way (and roll it back); here the error names what is too large.
 */
export function assertEnvironmentSizes(stack: Stack): void {
  const over = environmentsOf(stack).filter(
    (e) => e.kind === 'lambda' && environmentBytes(e.variables) > ENVIRONMENT_LIMIT_BYTES,
  );
  if (over.length === 0) return;
  const lines = over.map((e) => {
    const largest = Object.entries(e.variables)
      .map(([k, v]) => [k, environmentBytes({ [k]: v })] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([k, n]) => `${k} ${n} bytes`)
      .join(', ');
    return `${e.path}: ${environmentBytes(e.variables)} bytes (${largest})`;
  });
  throw new ConfigError(
    `the runtime configuration does not fit Lambda's ${ENVIRONMENT_LIMIT_BYTES}-byte environment ` +
      `limit; tables.yml and pipeline.yml travel in it (docs/deploy.md, Limits):\n  ${lines.join('\n  ')}`,
    { stage: 'config' },
  );
}
