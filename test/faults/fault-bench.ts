import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localAlertSink } from '../../cli/local-alerts';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import type { StageOutput } from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { createLocalLogger } from '../../core/logging/local-logger';
import { verifyPipeline } from '../../core/pipeline/verify';
import {
  type LocalRunOptions,
  type LocalRunResult,
  runLocally,
  type TaskHandler,
} from '../../infra/local/local-runner';
import { startAlertServers } from '../helpers/alert-servers';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { compareRawWithReplica } from '../helpers/compare-raw';
import {
  adminMysql,
  dropMysqlDatabases,
  LOCAL_PG,
  testDatabaseName,
} from '../helpers/local-databases';
import { CLINIC_SPREAD } from '../helpers/pipeline-fixture';
import { dayOfChanges, plantCanaries } from './clinic-changes';
import { CANARY, captureMetrics, Emitted } from './emitted-output';

/** The tables every scenario runs: core tables, an append table, a reconcile table, one on Fargate. */
export const TABLES = CLINIC_SPREAD;
export const FARGATE_TABLE = 'paysplit';

export interface FaultBench {
  names: { source: string; replica: string; analytics: string };
  users: { source: string; replica: string; analytics: string };
  admin: MysqlSession;
  pgAdmin: PgSession;
  config: LoadedConfig;
  dir: string;
  emitted: Emitted;
  /** Runs the pipeline through the local state machine, collecting logs, alerts and metrics. */
  run(
    input?: LocalRunOptions['input'],
    extra?: Partial<LocalRunOptions>,
  ): Promise<LocalRunResult & { outputs: StageOutput[] }>;
  /** A clinic's day: inserts, updates (with the canary rows among them) and deletes. */
  dayOfChanges(): Promise<void>;
  /** Source = replica = raw (row for row), public consistent with raw; names what differs. */
  differences(): Promise<string[]>;
  /** Reads every log file the runs wrote into the emitted texts. */
  collectLogFiles(): void;
  /** New admin sessions (after a server restart). */
  reconnect(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The suite's clinic and everything around it: source (tiny demo clinic with long procedurelog
 * and paysplit tables, canaries planted), replica and analytics databases with their own users
 * (canary passwords), local alert servers, and a configuration directory. `close()` drops it all.
 */
export async function createFaultBench(): Promise<FaultBench> {
  const names = {
    source: testDatabaseName('flt_src'),
    replica: testDatabaseName('flt_rep'),
    analytics: testDatabaseName('flt_pg'),
  };
  const users = {
    source: `etlf_src_${process.pid}`,
    replica: `etlf_rep_${process.pid}`,
    analytics: `etlf_pg_${process.pid}`,
  };
  const admin = await adminMysql();
  const pgAdmin = await openPg(LOCAL_PG, { label: 'test-admin' });
  await dropMysqlDatabases(admin, names.replica);
  await admin.execute(`CREATE DATABASE ${quoteMysql(names.replica)}`);
  await seedDemoClinic(admin, {
    scale: 'tiny',
    seed: 97,
    database: names.source,
    replaceForeign: true,
    onlyTables: TABLES,
    // Long enough that a kill lands in the middle of the table.
    rowCounts: { procedurelog: 30_000, paysplit: 20_000 },
  });
  await plantCanaries(admin, names.source);
  for (const [user, password, grant] of [
    [users.source, CANARY.sourcePassword, `SELECT, SHOW VIEW ON ${quoteMysql(names.source)}.*`],
    [users.replica, CANARY.replicaPassword, `ALL ON ${quoteMysql(names.replica)}.*`],
  ] as const) {
    await admin.execute(`DROP USER IF EXISTS '${user}'@'%'`);
    await admin.execute(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.execute(`GRANT ${grant} TO '${user}'@'%'`);
  }
  await pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(names.analytics)} WITH (FORCE)`);
  await pgAdmin.query(`DROP ROLE IF EXISTS ${quotePg(users.analytics)}`);
  await pgAdmin.query(
    `CREATE ROLE ${quotePg(users.analytics)} LOGIN PASSWORD '${CANARY.analyticsPassword}'`,
  );
  await pgAdmin.query(
    `CREATE DATABASE ${quotePg(names.analytics)} OWNER ${quotePg(users.analytics)}`,
  );

  const emitted = new Emitted();
  // Local alert channels: every Slack post and e-mail the runs send is collected.
  const alertServers = await startAlertServers(
    (body) => emitted.add('alert (Slack webhook)', body),
    (message) => emitted.add('alert (SMTP)', message),
  );

  const dir = mkdtempSync(join(tmpdir(), 'etl-faults-'));
  writeFileSync(
    join(dir, 'pipeline.yml'),
    `general: { parallel_jobs: 2, batch_size: 2000, max_retries: 3, retry_delay_seconds: 1 }
connections:
  source: { database: ${names.source}, user: ${users.source}, password: ${CANARY.sourcePassword}, connect_timeout_seconds: 5 }
  replication: { database: ${names.replica}, user: ${users.replica}, password: ${CANARY.replicaPassword}, connect_timeout_seconds: 5 }
  analytics: { database: ${names.analytics}, user: ${users.analytics}, password: ${CANARY.analyticsPassword}, connect_timeout_seconds: 5 }
alerts:
  email: [data-team@clinic.test]
  slack_webhook_url: ${alertServers.slackUrl}
  smtp: { host: 127.0.0.1, port: ${alertServers.smtpPort}, from: etl@clinic.test }
`,
  );
  writeFileSync(join(dir, 'tables.yml'), `tables:\n  ${FARGATE_TABLE}: { runner: fargate }\n`);
  const config = loadConfig({ path: join(dir, 'pipeline.yml'), env: {} });
  const logsDir = join(dir, 'logs');
  const sendAlert = localAlertSink(config.pipeline, (line) => emitted.add('alert (console)', line));

  const bench: FaultBench = {
    names,
    users,
    admin,
    pgAdmin,
    config,
    dir,
    emitted,
    async run(input = { tables: TABLES }, extra = {}) {
      const outputs: StageOutput[] = [];
      const logger = createLocalLogger({ dir: logsDir, retentionDays: 30 });
      const result = await runLocally({
        config,
        input,
        logger,
        retryIntervalMs: 1000,
        ...extra,
        // What the state machine publishes to SNS, then Slack and e-mail as a local run sends them.
        alertSink: async (alert) => {
          emitted.add('alert (SNS publish)', alert);
          await sendAlert(alert);
          await extra.alertSink?.(alert);
        },
        wrapHandlers: (name, handler) => {
          const inner: TaskHandler = extra.wrapHandlers
            ? extra.wrapHandlers(name, handler)
            : handler;
          return async (event) => {
            try {
              const output = (await inner(event)) as StageOutput & { Output?: StageOutput };
              const stage = output.Output ?? output;
              if (stage && typeof stage === 'object' && 'stage' in stage && 'rows' in stage)
                outputs.push(stage as StageOutput);
              return output;
            } catch (error) {
              emitted.add(
                `task error (${name})`,
                `${(error as Error).name}: ${(error as Error).message}`,
              );
              throw error;
            }
          };
        },
      });
      logger.flush();
      emitted.add('run result', {
        error: result.error,
        cause: result.cause,
        output: result.output,
      });
      emitted.add('metrics (EMF)', captureMetrics(outputs));
      return { ...result, outputs };
    },
    dayOfChanges: () => dayOfChanges(bench.admin, names.source),
    async differences() {
      const report = await verifyPipeline(config.pipeline, TABLES);
      const differing = report.filter((r) => !r.ok).map((r) => `${r.table}: counts or checksum`);
      const analytics = await openPg(config.pipeline.connections.analytics, { label: 'check' });
      try {
        differing.push(
          ...(await compareRawWithReplica(bench.admin, names.replica, analytics, TABLES)),
          ...(await comparePublicWithRaw(analytics, TABLES)),
        );
      } finally {
        await analytics.close();
      }
      return differing;
    },
    collectLogFiles() {
      for (const file of readdirSync(logsDir))
        emitted.add(`log file ${file}`, readFileSync(join(logsDir, file), 'utf8'));
    },
    async reconnect() {
      await bench.admin.close().catch(() => {});
      await bench.pgAdmin.close().catch(() => {});
      bench.admin = await adminMysql();
      bench.pgAdmin = await openPg(LOCAL_PG, { label: 'test-admin' });
    },
    async close() {
      await alertServers.close();
      await dropMysqlDatabases(bench.admin, names.source, names.replica);
      for (const user of [users.source, users.replica])
        await bench.admin.execute(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
      await bench.pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(names.analytics)} WITH (FORCE)`);
      await bench.pgAdmin.query(`DROP ROLE IF EXISTS ${quotePg(users.analytics)}`);
      await bench.admin.close();
      await bench.pgAdmin.close();
    },
  };
  return bench;
}
