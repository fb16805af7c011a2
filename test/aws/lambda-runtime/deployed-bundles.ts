import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedConfig, loadConfig } from '../../../config/load-config';
import { ROOT_DIR } from '../../../infra/build-app';
import { FAKE_ACCOUNT, type FakeDeployment } from './cloudformation-values';
import type { ConnectionName, ConnectionSecret } from './connection-secrets';
import { type BundledAssembly, copyToTaskRoot, synthesizeBundled } from './deployed-functions';
import { LocalLambda } from './local-lambda';
import { type SecretsEndpoint, startSecretsEndpoint } from './secrets-endpoint';
import { type SlackWebhook, startSlackWebhook } from './slack-webhook';

/** The stack deployed for a test: its bundles in task roots, Secrets Manager, a Slack webhook. */
export interface DeployedBundles {
  where: FakeDeployment;
  assembly: BundledAssembly;
  lambda: LocalLambda;
  secrets: SecretsEndpoint;
  webhook: SlackWebhook;
  /** The fake session credentials every function gets. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** Each connection's secret id, as the functions' PIPELINE_CONFIG names it. */
  secretIds: Record<ConnectionName, string>;
  /** The notifier's SLACK_WEBHOOK_SECRET_ID. */
  webhookSecretId: string;
  /** The logical id of the function whose logical id matches. */
  functionId(pattern: RegExp): string;
  close(): Promise<void>;
}

/**
 * The repository's configuration (config/pipeline.yml, tables.yml: the template's connections
 * stay at their 127.0.0.1 defaults) with a Slack webhook secret, so the notifier is deployed too.
 */
export function deployedConfig(): LoadedConfig {
  const config = loadConfig({ env: {}, cwd: ROOT_DIR });
  config.pipeline.alerts.slack_webhook_secret_id = 'opendental/slack-webhook';
  return config;
}

/**
 * Synthesizes the stack with bundling, copies every function's asset into its own empty task
 * root outside the repository, and serves the connection secrets (`secretValues`) and the Slack
 * webhook's URL from a local Secrets Manager, under the ids the template gives the functions.
 * `config`: default {@link deployedConfig}.
 */
export async function deployBundles(
  secretValues: Record<ConnectionName, ConnectionSecret>,
  config: LoadedConfig = deployedConfig(),
): Promise<DeployedBundles> {
  const where = { region: config.pipeline.aws.region, account: FAKE_ACCOUNT };
  const outdir = mkdtempSync(join(tmpdir(), 'etl-bundles-cdk-'));
  const taskRoots = mkdtempSync(join(tmpdir(), 'etl-bundles-task-'));
  const credentials = {
    accessKeyId: 'ASIAXXLOCALTESTKEY01',
    secretAccessKey: randomBytes(20).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
  };
  const secrets = await startSecretsEndpoint(where);
  const webhook = await startSlackWebhook();
  const lambda = new LocalLambda({
    ...where,
    credentials,
    endpointEnvironment: { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url },
  });
  const close = async () => {
    await lambda.close();
    await secrets.close();
    await webhook.close();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(taskRoots, { recursive: true, force: true });
  };
  try {
    const assembly = synthesizeBundled(config, outdir, where);
    for (const fn of assembly.functions) {
      copyToTaskRoot(fn, join(taskRoots, fn.logicalId));
      lambda.deploy(fn, join(taskRoots, fn.logicalId));
    }
    const functionId = (pattern: RegExp) => {
      const ids = assembly.functions.map((f) => f.logicalId).filter((id) => pattern.test(id));
      if (ids.length !== 1) throw new Error(`${ids.length} functions match ${pattern}`);
      return ids[0] as string;
    };
    const secretIds = connectionSecretIds(assembly.functions.map((f) => f.environment));
    for (const [name, id] of Object.entries(secretIds))
      secrets.put(id, JSON.stringify(secretValues[name as ConnectionName]));
    const webhookSecretId =
      lambda.environmentOf(functionId(/SlackNotifier/)).SLACK_WEBHOOK_SECRET_ID ?? '';
    secrets.put(webhookSecretId, webhook.url);
    return {
      ...{ where, assembly, lambda, secrets, webhook, credentials },
      ...{ secretIds, webhookSecretId, functionId, close },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Each connection's secret id, as the functions' PIPELINE_CONFIG names it (every function that
 * has one must name the same secret for a connection).
 */
function connectionSecretIds(
  environments: Record<string, string>[],
): Record<ConnectionName, string> {
  const ids: Partial<Record<ConnectionName, string>> = {};
  for (const environment of environments) {
    if (!environment.PIPELINE_CONFIG) continue;
    const { connections } = JSON.parse(environment.PIPELINE_CONFIG) as {
      connections: Partial<Record<ConnectionName, { secret_id?: string }>>;
    };
    for (const name of ['source', 'replication', 'analytics'] as const) {
      const id = connections[name]?.secret_id;
      if (!id) continue;
      if (ids[name] && ids[name] !== id) throw new Error(`two secrets for connection ${name}`);
      ids[name] = id;
    }
  }
  for (const name of ['source', 'replication', 'analytics'] as const)
    if (!ids[name]) throw new Error(`no function names a secret for connection ${name}`);
  return ids as Record<ConnectionName, string>;
}
