import { z } from 'zod';
import {
  type PipelineConfig,
  PipelineConfigSchema,
  type TableOverride,
  TableOverrideSchema,
} from '../../config/schema';
import { tlsRefusal, withCaFileFrom } from '../../config/tls-policy';
import { ConfigError } from '../../contract/errors';

/**
 * The configuration of a Lambda function or Fargate task in AWS: the validated pipeline.yml as
 * JSON in `PIPELINE_CONFIG` (set at synth, without passwords), and each connection's credentials
 * from its secret (`host`, `port`, `username`, `password`, optionally `dbname`), read through
 * `readSecret` (Secrets Manager in AWS, cached by the adapter). A relative `ca_file` (the CA
 * files synth copies into the bundle, `ca/<connection>.pem`) is read from the bundle's directory:
 * `LAMBDA_TASK_ROOT` in Lambda, the working directory (the image's `/app`) in the Fargate task.
 * Once the secrets' hosts are in, a connection that would send plaintext or unchecked TLS to a
 * host that is not loopback without `allow_plaintext` is refused (config/tls-policy.ts).
 */
export type SecretReader = (secretId: string) => Promise<unknown>;

const SecretSchema = z.object({
  host: z.string().optional(),
  port: z.union([z.number(), z.string()]).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  dbname: z.string().optional(),
});

export async function configFromEnvironment(
  env: NodeJS.ProcessEnv,
  readSecret: SecretReader,
): Promise<PipelineConfig> {
  if (!env.PIPELINE_CONFIG)
    throw new ConfigError('PIPELINE_CONFIG is not set', { stage: 'config' });
  const parsed = PipelineConfigSchema.safeParse(JSON.parse(env.PIPELINE_CONFIG));
  if (!parsed.success) {
    // Paths and zod's messages only: a message never quotes the value it rejects.
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(
      `PIPELINE_CONFIG is not a valid pipeline configuration:\n  ${problems.join('\n  ')}`,
      { stage: 'config' },
    );
  }
  const config = parsed.data;
  const bundleDir = env.LAMBDA_TASK_ROOT || process.cwd();
  for (const name of ['source', 'replication', 'analytics'] as const) {
    const connection = config.connections[name];
    if (!connection.secret_id) continue;
    const secret = SecretSchema.safeParse(await readSecret(connection.secret_id));
    if (!secret.success) {
      throw new ConfigError(
        `secret for connection ${name} is not JSON with host/port/username/password`,
        { stage: 'config' },
      );
    }
    Object.assign(connection, {
      ...(secret.data.host ? { host: secret.data.host } : {}),
      ...(secret.data.port ? { port: Number(secret.data.port) } : {}),
      ...(secret.data.username ? { user: secret.data.username } : {}),
      ...(secret.data.password !== undefined ? { password: secret.data.password } : {}),
      ...(secret.data.dbname ? { database: secret.data.dbname } : {}),
    });
  }
  for (const name of ['source', 'replication', 'analytics'] as const) {
    const connection = config.connections[name];
    connection.tls = withCaFileFrom(connection, bundleDir).tls;
    const refusal = tlsRefusal(name, connection);
    if (refusal) {
      throw new ConfigError(`connections.${name}.${refusal.key}: ${refusal.message}`, {
        stage: 'config',
        connection: name,
      });
    }
  }
  return config;
}

export async function overridesFromEnvironment(
  env: NodeJS.ProcessEnv,
): Promise<Record<string, TableOverride>> {
  if (!env.TABLES_CONFIG) return {};
  return z.record(z.string(), TableOverrideSchema).parse(JSON.parse(env.TABLES_CONFIG));
}

/** The handler context of a function or task in AWS: everything from its environment. */
export function contextFromEnvironment(
  env: NodeJS.ProcessEnv,
  readSecret: SecretReader,
): {
  config: () => Promise<PipelineConfig>;
  overrides: () => Promise<Record<string, TableOverride>>;
} {
  return {
    config: () => configFromEnvironment(env, readSecret),
    overrides: () => overridesFromEnvironment(env),
  };
}
