import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../contract/errors';

/**
 * Environments (dev, prod, …) deployed from one repository: one pipeline file per environment,
 * `config/pipeline.<environment>.yml`, chosen by `npx cdk deploy -c env=<environment>`. The file
 * names its environment in `aws.environment` and pins the account and region it deploys to; the
 * environment is part of the stack's name and of every secret the stack names, so two
 * environments never share a stack or credentials. The CLI derives the same stack name from the
 * same file (`--config config/pipeline.<environment>.yml`).
 */

/**
 * Lower case only: the name is part of a file name, and `-c env=Prod` must not find
 * `pipeline.prod.yml` on a case-insensitive disk and miss it on Linux.
 */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const NAME_RULE = 'lower-case letters, digits and hyphens, starting with a letter, at most 20';

/** `aws.environment`: the environment a pipeline file describes. */
export const environmentName = () => z.string().regex(ENVIRONMENT_NAME, NAME_RULE);

/** The keys an environment's file must set: where it deploys is never a default. */
export const PINNED_KEYS = ['account', 'region'] as const;

/**
 * `aws` refusing an environment that is not pinned: `aws.account` and `aws.region` must be
 * written in its file. `aws.region` has a default, so only the section as written can tell.
 */
export function pinnedEnvironment<S extends z.ZodType>(aws: S) {
  return z.preprocess((raw, ctx) => {
    if (!raw || typeof raw !== 'object' || !('environment' in raw)) return raw;
    for (const key of PINNED_KEYS)
      if ((raw as Record<string, unknown>)[key] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: raw,
          message:
            'required with aws.environment: an environment is pinned to its account and region',
        });
    return raw;
  }, aws);
}

/** The CloudFormation stack of a configuration: `aws.stack_name`, then `-<environment>`. */
export function stackNameOf(aws: { stack_name: string; environment?: string }): string {
  return aws.environment ? `${aws.stack_name}-${aws.environment}` : aws.stack_name;
}

/** The pipeline file of an environment, relative to the repository root. */
export function environmentConfigPath(environment: string): string {
  return join('config', `pipeline.${environment}.yml`);
}

/**
 * Which pipeline file a synth reads: `CONFIG_PATH` if set, else the selected environment's file,
 * else the default (undefined). A context value that is not an environment name is refused
 * before it becomes part of a path.
 */
export function selectConfigPath(selection: {
  environment?: unknown;
  configPath?: string;
}): string | undefined {
  const { environment, configPath } = selection;
  if (environment !== undefined && !ENVIRONMENT_NAME.test(String(environment)))
    throw new ConfigError(`-c env=${String(environment)}: an environment name is ${NAME_RULE}`, {
      stage: 'config',
    });
  if (configPath) return configPath;
  return environment === undefined ? undefined : environmentConfigPath(String(environment));
}

/**
 * Refuses a file that is not the selected environment's: `-c env=prod` with a file whose
 * `aws.environment` is another (a `CONFIG_PATH` that disagrees) or missing.
 */
export function assertSelectedEnvironment(
  selected: unknown,
  aws: { environment?: string },
  file: string,
): void {
  if (selected === undefined || aws.environment === selected) return;
  const found = aws.environment ? `is for environment ${aws.environment}` : 'names no environment';
  throw new ConfigError(
    `-c env=${String(selected)} selects environment ${String(selected)}, but ${file} ${found} (aws.environment): deploy each environment from its own file, ${environmentConfigPath(String(selected))}`,
    { stage: 'config' },
  );
}

/** Does a secret id name the environment, as one part of it (`opendental/prod/source`)? */
export function namesEnvironment(secretId: string, environment: string): boolean {
  return secretId.split(/[/_.-]/).includes(environment);
}

/** Where a pipeline file names a Secrets Manager secret the stack imports. */
export interface NamedSecret {
  path: (string | number)[];
  secretId: string;
}

/**
 * Secrets an environment's file names that do not name the environment: in an account that
 * holds dev and prod, `opendental/source` could be prod's credentials read by dev.
 */
export function secretsOutsideEnvironment(
  environment: string | undefined,
  secrets: readonly NamedSecret[],
): { path: (string | number)[]; message: string }[] {
  if (!environment) return [];
  return secrets
    .filter((s) => !namesEnvironment(s.secretId, environment))
    .map((s) => ({
      path: s.path,
      message: `in environment ${environment}, name a secret of ${environment}, with ${environment} as one part of its name (e.g. opendental/${environment}/…): environments never share credentials`,
    }));
}
