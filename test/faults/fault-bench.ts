import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { localAlertSink } from '../../cli/local-alerts';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import type { StageOutput } from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { createLocalLogger } from '../../core/logging/local-logger';
import { StageSessionPool, type StageSessions } from '../../core/pipeline/session-pool';
import { verifyPipeline } from '../../core/pipeline/verify';
import {
  type LocalRunOptions,
  type LocalRunResult,
  runLocally,
  type TaskHandler,
} from '../../infra/local/local-runner';
import { publishStageMetrics } from '../../lambdas/aws/run-stage';
import { startAlertServers } from '../helpers/alert-servers';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { compareRawWithReplica } from '../helpers/compare-raw';
import {
  adminMysql,
  beforeEachCall,
  dropMysqlDatabases,
  LOCAL_PG,
  testDatabaseName,
} from '../helpers/local-databases';
import { CLINIC_SPREAD, terminateDuringCopy } from '../helpers/pipeline-fixture';

export const exec = promisify(execFile);

/** The tables every scenario runs: core tables, an append table, a reconcile table, one on Fargate. */
export const TABLES = CLINIC_SPREAD;
export const FARGATE_TABLE = 'paysplit';

/**
 * Canary values: planted in patient names, SSNs, e-mails and clinical notes, and used as the
 * passwords of the pipeline's database users. None may ever appear in anything the pipeline emits.
 */
export const CANARY = {
  lastName: 'Zqcanarylast',
  firstName: 'Zqcanaryfirst',
  ssn: '900713344',
  email: 'zq.canary.7713@example.invalid',
  note: 'ZQCANARYNOTE penicillin allergy',
  sourcePassword: 'ZqPwSrc7713x',
  replicaPassword: 'ZqPwRep7713x',
  analyticsPassword: 'ZqPwPg7713x',
};
export const CANARY_NEEDLES = [
  CANARY.lastName,
  CANARY.firstName,
  CANARY.ssn,
  '900-71-3344',
  CANARY.email,
  'ZQCANARYNOTE',
  CANARY.sourcePassword,
  CANARY.replicaPassword,
  CANARY.analyticsPassword,
];

/** Every text the pipeline emitted during the suite, by where it came from. */
export class Emitted {
  readonly texts: { where: string; text: string }[] = [];
  add(where: string, text: unknown): void {
    this.texts.push({ where, text: typeof text === 'string' ? text : JSON.stringify(text) });
  }
  /** Where each canary turned up (empty: nothing leaked). */
  leaks(): { where: string; needle: string }[] {
    return this.texts.flatMap(({ where, text }) =>
      CANARY_NEEDLES.filter((n) => text.toLowerCase().includes(n.toLowerCase())).map((needle) => ({
        where,
        needle,
      })),
    );
  }
}

type Session = MysqlSession | PgSession;

/**
 * The session pool of the real run, with a fault injector: per stage and role, `wrap` may put a
 * proxy around the production session (see `withStatementHook`, `terminateFirstCopy`), so a
 * scenario injects its fault (a real KILL CONNECTION, pg_terminate_backend) at a chosen point.
 */
export class HookedPool extends StageSessionPool {
  private readonly originals = new WeakMap<object, Session>();
  constructor(
    private readonly wrap: (stage: string, role: string, session: Session) => Session | undefined,
  ) {
    super();
  }

  override async acquire(...args: Parameters<StageSessionPool['acquire']>) {
    const [, stage] = args;
    const sessions = await super.acquire(...args);
    const wrapped: Record<string, Session> = {};
    for (const [role, session] of Object.entries(sessions) as [string, Session][]) {
      const proxy = this.wrap(stage, role, session) ?? session;
      this.originals.set(proxy, session);
      wrapped[role] = proxy;
    }
    return wrapped as unknown as StageSessions;
  }

  override async release(sessions: Partial<StageSessions>, succeeded: boolean) {
    const unwrapped = Object.fromEntries(
      Object.entries(sessions).map(([role, s]) => [role, s && (this.originals.get(s) ?? s)]),
    ) as Partial<StageSessions>;
    await super.release(unwrapped, succeeded);
  }
}

/** A session that runs `hook(sql)` before every statement (COPY streams pass through). */
export function withStatementHook(session: Session, hook: (sql: string) => Promise<void>): Session {
  if ('threadId' in session) return beforeEachCall(session, hook);
  const pg = session as PgSession;
  return {
    get processId() {
      return pg.processId;
    },
    async query(sql, params) {
      await hook(sql);
      return pg.query(sql, params);
    },
    copyFrom: (sql) => pg.copyFrom(sql),
    close: () => pg.close(),
  } as PgSession;
}

/** A session whose first COPY matching `pattern` has its backend terminated mid-stream. */
export function terminateFirstCopy(
  session: PgSession,
  pgAdmin: PgSession,
  pattern: RegExp,
  onFired: () => void,
): PgSession {
  const terminating = terminateDuringCopy(session, pgAdmin);
  let fired = false;
  return {
    get processId() {
      return session.processId;
    },
    query: (sql, params) => session.query(sql, params),
    close: () => session.close(),
    copyFrom(sql) {
      if (fired || !pattern.test(sql)) return session.copyFrom(sql);
      fired = true;
      onFired();
      return terminating.copyFrom(sql);
    },
  };
}

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

let changeRound = 0;

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

/** The EMF lines the Lambda would print for these stage outputs. */
function captureMetrics(outputs: readonly StageOutput[]): string {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    for (const output of outputs)
      publishStageMetrics(
        new Metrics({ namespace: 'OpenDentalEtl', serviceName: 'faults' }),
        output,
      );
  } finally {
    process.stdout.write = write;
  }
  return lines.join('');
}

async function plantCanaries(admin: MysqlSession, source: string): Promise<void> {
  const t = (table: string) => `${quoteMysql(source)}.${quoteMysql(table)}`;
  await admin.execute(
    `UPDATE ${t('patient')} SET LName = ?, FName = ?, SSN = ?, Email = ?, MedUrgNote = ? WHERE PatNum % 7 = 1`,
    [CANARY.lastName, CANARY.firstName, CANARY.ssn, CANARY.email, CANARY.note],
  );
  await admin.execute(`UPDATE ${t('commlog')} SET Note = ? WHERE CommlogNum % 5 = 1`, [
    CANARY.note,
  ]);
  await admin.execute(`UPDATE ${t('appointment')} SET Note = ? WHERE AptNum % 5 = 1`, [
    CANARY.note,
  ]);
}

async function dayOfChanges(admin: MysqlSession, source: string): Promise<void> {
  const round = ++changeRound;
  const t = (table: string) => `${quoteMysql(source)}.${quoteMysql(table)}`;
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  await admin.execute(
    `UPDATE ${t('procedurelog')} SET ProcFee = ProcFee + 1 WHERE ProcNum % 97 = ?`,
    [round % 97],
  );
  await admin.execute(`DELETE FROM ${t('procedurelog')} WHERE ProcNum % 211 = ?`, [round % 211]);
  const [max] = await admin.queryArrays(`SELECT MAX(ProcNum) FROM ${t('procedurelog')}`);
  await admin.execute(
    `CREATE TEMPORARY TABLE ${t('flt_copy')} AS SELECT * FROM ${t('procedurelog')} LIMIT 25`,
  );
  await admin.execute(`UPDATE ${t('flt_copy')} SET ProcNum = ProcNum + ?`, [Number(max?.[0])]);
  await admin.execute(`INSERT INTO ${t('procedurelog')} SELECT * FROM ${t('flt_copy')}`);
  await admin.execute(`DROP TEMPORARY TABLE ${t('flt_copy')}`);
  // The canary patients are edited too: their rows travel again.
  await admin.execute(
    `UPDATE ${t('patient')} SET HmPhone = CONCAT('555-01', LPAD(?, 2, '0')) WHERE PatNum % 7 = 1`,
    [round % 100],
  );
  await admin.execute(
    `UPDATE ${t('paysplit')} SET SplitAmt = SplitAmt + 1 WHERE SplitNum % 53 = ?`,
    [round % 53],
  );
  await admin.execute(
    `UPDATE ${t('definition')} SET ItemName = CONCAT(ItemName, '.') WHERE DefNum = 1`,
  );
}

/** Waits until `probe` is true (polling), or fails after `ms`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
