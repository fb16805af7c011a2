import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { AuthenticationError, TlsError } from '../../contract/errors';
import { tablesOfItems } from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { createPlanHandler } from '../../core/runtime';
import { runLocally } from '../../infra/local/local-runner';
import { testDatabaseName } from '../helpers/local-databases';
import { startTlsServers, type TlsServers } from '../helpers/tls-servers';

/**
 * TLS by default, against servers that demand it: a MariaDB server and a PostgreSQL cluster of
 * this file's own, with certificates from a CA made here, and the pipeline's account allowed in
 * over TLS only. A run through the local state machine (one table on the Fargate path, as a child
 * process) succeeds with the CA configured, and fails with TlsError without it.
 */
const TABLES = ['patient', 'appointment', 'definition'];
const names = {
  source: testDatabaseName('tls_src'),
  replica: testDatabaseName('tls_rep'),
  analytics: testDatabaseName('tls_pg'),
};
let servers: TlsServers;
let admin: MysqlSession;
let configDir: string;
let startupSeconds: number;

/** pipeline.yml for the TLS servers, `tls` of every connection as given, loaded as the CLI would. */
function configWith(tls: string, extra = ''): LoadedConfig {
  const connection = (server: { port: number }, database: string) =>
    `{ host: 127.0.0.1, port: ${server.port}, database: ${database}, user: ${servers.user.name}, password: "\${TLS_TEST_PASSWORD}", tls: ${tls}${extra} }`;
  writeFileSync(
    join(configDir, 'pipeline.yml'),
    `general: { retry_delay_seconds: 1 }
connections:
  source: ${connection(servers.mysql, names.source)}
  replication: ${connection(servers.mysql, names.replica)}
  analytics: ${connection(servers.pg, names.analytics)}
`,
  );
  writeFileSync(join(configDir, 'tables.yml'), 'tables:\n  definition: { runner: fargate }\n');
  return loadConfig({
    path: join(configDir, 'pipeline.yml'),
    env: { TLS_TEST_PASSWORD: servers.user.password },
  });
}

const run = (config: LoadedConfig) =>
  runLocally({
    config,
    input: { tables: TABLES },
    logger: memoryLogger(),
    alertSink: () => {},
    retryIntervalMs: 20,
  });

beforeAll(async () => {
  const started = Date.now();
  servers = await startTlsServers(names);
  startupSeconds = (Date.now() - started) / 1000;
  console.log(`TLS MariaDB and PostgreSQL started in ${startupSeconds.toFixed(1)} s`);
  admin = await openMysql(servers.mysqlAdmin, {
    label: 'test-admin',
    readOnly: false,
    localInfile: true,
    database: null,
  });
  await seedDemoClinic(admin, { scale: 'tiny', seed: 15, database: names.source });
  configDir = mkdtempSync(join(tmpdir(), 'etl-tls-config-'));
  // Beside pipeline.yml, named relatively: the loader reads it from there, not the working dir.
  copyFileSync(servers.caFile, join(configDir, 'clinic-ca.pem'));
}, 300_000);

afterAll(async () => {
  await admin?.close();
  await servers?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

describe('servers that require TLS of the pipeline’s account', () => {
  it('refuse it in plaintext: both answer AuthenticationError', async () => {
    const { connections } = configWith('false').pipeline;
    await expect(
      openMysql(connections.source, { label: 'source', readOnly: true }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    await expect(openPg(connections.analytics, { label: 'analytics' })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  it('let it in over TLS with the configured CA, relative to pipeline.yml', async () => {
    const { connections } = configWith('{ ca_file: clinic-ca.pem }').pipeline;
    expect(connections.source.tls).toEqual({
      ca_file: join(configDir, 'clinic-ca.pem'),
      reject_unauthorized: true,
    });
    const mysql = await openMysql(connections.source, { label: 'source', readOnly: true });
    const pg = await openPg(connections.analytics, { label: 'analytics' });
    try {
      const [status] = await mysql.query<{ Value: string }>(
        "SHOW SESSION STATUS LIKE 'Ssl_version'",
      );
      expect(status?.Value).toMatch(/^TLSv1\.[23]$/);
      const [ssl] = await pg.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(ssl?.ssl).toBe(true);
    } finally {
      await mysql.close();
      await pg.close();
    }
  });
});

describe('a run through the local state machine', () => {
  it('succeeds over TLS with the CA configured, and the rows arrive in raw and public', async () => {
    const result = await run(configWith('{ ca_file: clinic-ca.pem }'));
    expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
    const pg = await openPg(servers.pgAdmin, { label: 'test-check' });
    try {
      for (const table of TABLES) {
        const [source] = await admin.queryArrays(
          `SELECT COUNT(*) FROM ${quoteMysql(names.source)}.${quoteMysql(table)}`,
        );
        const count = async (schema: string) =>
          Number(
            (
              await pg.query<{ n: string }>(
                `SELECT COUNT(*) AS n FROM ${quotePg(schema)}.${quotePg(table)}`,
              )
            )[0]?.n,
          );
        expect(Number(source?.[0])).toBeGreaterThan(0);
        expect({ table, raw: await count('raw'), public: await count('public') }).toEqual({
          table,
          raw: Number(source?.[0]),
          public: Number(source?.[0]),
        });
      }
    } finally {
      await pg.close();
    }
  });

  it('fails with TlsError without the CA (tls: true, Node’s roots and the RDS CAs), naming the connection and no secret', async () => {
    const result = await run(configWith('true'));
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'failed',
      error: 'TlsError',
    });
    expect(result.cause).toContain('connection source');
    expect(`${result.cause}`).not.toContain(servers.user.password);
  });
});

describe('each adapter without the CA, and at a host the certificate does not name', () => {
  const expectTlsError = async (opening: Promise<unknown>, connection: string) => {
    const error = await opening.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsError);
    expect((error as Error).message).toContain(`connection ${connection}`);
    expect((error as Error).message).not.toContain(servers.user.password);
  };

  it('refuses the server’s certificate when only the default trust is configured', async () => {
    const { connections } = configWith('true').pipeline;
    await expectTlsError(
      openMysql(connections.source, { label: 'source', readOnly: true }),
      'source',
    );
    await expectTlsError(openPg(connections.analytics, { label: 'analytics' }), 'analytics');
  });

  it('checks the host name: 127.0.0.2 is refused though the CA signed the certificate', async () => {
    const { connections } = configWith('{ ca_file: clinic-ca.pem }').pipeline;
    const at = <T extends { host: string }>(c: T): T => ({ ...c, host: '127.0.0.2' });
    await expectTlsError(
      openMysql(at(connections.replication), { label: 'replication', readOnly: false }),
      'replication',
    );
    await expectTlsError(openPg(at(connections.analytics), { label: 'analytics' }), 'analytics');
  });
});

describe('allow_plaintext', () => {
  it('lets a connection skip certificate checks, and every run’s Plan warns, naming the connection only', async () => {
    const config = configWith('{ reject_unauthorized: false }', ', allow_plaintext: true');
    const logger = memoryLogger();
    const plan = await createPlanHandler({
      config: async () => config.pipeline,
      overrides: async () => config.tables,
      logger,
    })({ tables: ['patient'], dryRun: true });
    expect(tablesOfItems(plan.tables).map((t) => t.table)).toEqual(['patient']);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((w) => w.fields)).toEqual(
      ['source', 'replication', 'analytics'].map((connection) => ({
        connection,
        tls: 'unverified',
      })),
    );
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain(servers.user.password);
    expect(logged).not.toContain(String(servers.mysql.port));
  });
});
