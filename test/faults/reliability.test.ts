import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import { createLocalLogger } from '../../core/logging/local-logger';
import { rejectMalformedTableNames } from '../../core/pipeline/plan-run';
import { ensureRunHistory, finishRun } from '../../core/pipeline/run-history';
import { claimRun } from '../../core/pipeline/run-lock';
import { ROOT_DIR } from '../../infra/build-app';
import {
  CANARY,
  createFaultBench,
  Emitted,
  exec,
  FARGATE_TABLE,
  type FaultBench,
  HookedPool,
  TABLES,
  terminateFirstCopy,
  waitFor,
  withStatementHook,
} from './fault-bench';

/**
 * The reliability suite: real faults against the real servers, through the very state machine
 * definition the stack deploys, each followed by a clean rerun and a full verification; bad input;
 * the run lock; source safety; and, over everything the suite made the pipeline emit, the PHI and
 * credential canaries. Scenarios run in order on one clinic (the analytics state carries over).
 */
let bench: FaultBench;

beforeAll(async () => {
  bench = await createFaultBench();
}, 300_000);

afterAll(async () => {
  await bench?.close();
});

const BIN = join(ROOT_DIR, 'bin', 'etl-pipeline.mjs');

/** The CLI as a child process; its output is collected for the canary check. */
function cli(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: bench.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('exit', (code) => {
      bench.emitted.add(`cli ${args[0]} output`, out);
      resolve({ code, out });
    }),
  );
  return { child, done };
}

/** The Fargate task processes (ECS entrypoint children) of this suite's runs, by their environment. */
function fargateChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('ecs-tasks/main.ts')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(bench.names.source))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** True while the replica user runs a statement on `table` (a stage is in the middle of it). */
async function replicaBusyWith(table: string): Promise<boolean> {
  const rows = await bench.admin.queryArrays(
    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND = 'Query' AND INFO LIKE ?",
    [bench.users.replica, `%${table}%`],
  );
  return Number(rows[0]?.[0]) > 0;
}

async function expectConverged(): Promise<void> {
  const rerun = await bench.run();
  expect(rerun.status, `${rerun.error}: ${rerun.cause}`).toBe('succeeded');
  expect(await bench.differences()).toEqual([]);
}

/** Runs with the fault-injecting pool: the fault fired, procedurelog's task ran twice, all converged. */
async function expectRetriedOnce(pool: HookedPool, state: string, fired: () => boolean) {
  const calls = { n: 0 };
  const result = await bench.run(undefined, {
    sessionPool: pool,
    wrapHandlers: countCalls(state, 'procedurelog', calls),
  });
  expect(fired()).toBe(true);
  expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
  expect(calls.n).toBe(2);
  expect(await bench.differences()).toEqual([]);
}

/** A full run in which `restart` happens while procedurelog's `state` task is running. */
async function expectSurvivesRestart(state: string, restart: () => Promise<void>) {
  await bench.dayOfChanges();
  let restarted = false;
  const emittedBefore = bench.emitted.texts.length;
  const result = await bench.run(
    { tables: TABLES, force: true },
    {
      // Long enough for the server to come back within the retries.
      retryIntervalMs: 4000,
      wrapHandlers: (name, handler) =>
        name === state
          ? async (input) => {
              if (restarted || (input as { table?: string }).table !== 'procedurelog')
                return handler(input);
              restarted = true;
              const running = handler(input);
              running.catch(() => {}); // its failure is the state machine's to handle
              await restart();
              return running;
            }
          : handler,
    },
  );
  expect(restarted).toBe(true);
  // The restart did hit the run: tasks failed with transient connection errors and were retried.
  const hits = bench.emitted.texts
    .slice(emittedBefore)
    .filter((t) => t.where.startsWith('task error') && /Connection\w*Error/.test(t.text));
  expect(hits.length).toBeGreaterThan(0);
  expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
  expect(await bench.differences()).toEqual([]);
}

/** Counts calls of one task state for one table. */
function countCalls(state: string, table: string, calls: { n: number }) {
  return (name: string, handler: (input: unknown) => Promise<unknown>) =>
    name === state
      ? async (input: unknown) => {
          if ((input as { table?: string }).table === table) calls.n++;
          return handler(input);
        }
      : handler;
}

describe('connections killed mid-stage, through the local state machine', () => {
  it('MariaDB KILL CONNECTION on the source during extract: retried, the run succeeds', async () => {
    let seen = 0;
    let killed = false;
    const pool = new HookedPool((stage, role, session) =>
      stage === 'extract' && role === 'source'
        ? withStatementHook(session, async (sql) => {
            if (!killed && /procedurelog/.test(sql) && ++seen === 3) {
              killed = true;
              await bench.admin.execute(
                `KILL CONNECTION ${Number((session as MysqlSession).threadId)}`,
              );
            }
          })
        : undefined,
    );
    await expectRetriedOnce(pool, 'LambdaExtract', () => killed);
  });

  it('pg_terminate_backend mid-COPY during load: retried, the run succeeds', async () => {
    await bench.dayOfChanges();
    let fired = false;
    const pool = new HookedPool((stage, role, session) =>
      stage === 'load' && role === 'analytics' && !fired
        ? terminateFirstCopy(session as PgSession, bench.pgAdmin, /procedurelog/, () => {
            fired = true;
          })
        : undefined,
    );
    await expectRetriedOnce(pool, 'LambdaLoad', () => fired);
  });

  it('pg_terminate_backend during transform: retried, the run succeeds', async () => {
    await bench.dayOfChanges();
    let fired = false;
    const pool = new HookedPool((stage, role, session) =>
      stage === 'transform' && role === 'analytics'
        ? withStatementHook(session, async (sql) => {
            if (!fired && /^\s*(WITH|INSERT INTO)\b.*"procedurelog"/s.test(sql)) {
              fired = true;
              await bench.pgAdmin.query('SELECT pg_terminate_backend($1)', [
                (session as PgSession).processId,
              ]);
            }
          })
        : undefined,
    );
    await expectRetriedOnce(pool, 'LambdaTransform', () => fired);
  });

  it('a connection killed on every attempt: the run fails loudly naming table and stage; the next run converges', async () => {
    await bench.dayOfChanges();
    const alerts: string[] = [];
    const pool = new HookedPool((stage, role, session) =>
      stage === 'extract' && role === 'replica'
        ? withStatementHook(session, async (sql) => {
            if (/procedurelog/.test(sql) && /^\s*(INSERT|REPLACE|LOAD DATA|DELETE)/.test(sql))
              await bench.admin.execute(
                `KILL CONNECTION ${Number((session as MysqlSession).threadId)}`,
              );
          })
        : undefined,
    );
    const result = await bench.run(undefined, {
      sessionPool: pool,
      alertSink: (alert) => {
        alerts.push(`${alert.subject} ${alert.message}`);
      },
    });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('TablesFailed');
    expect(alerts.join('\n')).toMatch(/procedurelog failed in stage extract/);
    expect(alerts.join('\n')).toMatch(/ConnectionLostError/);
    await expectConverged();
  });
});

describe('runner processes killed with SIGKILL mid-table', () => {
  it('the CLI runner: the next run marks the killed run interrupted and converges', async () => {
    await bench.dayOfChanges();
    const { child, done } = cli([
      'run',
      '--config',
      'pipeline.yml',
      '--force',
      '--tables',
      ...TABLES,
    ]);
    // Killed while its Fargate child is in the middle of that table's extract.
    await waitFor(
      async () => (await replicaBusyWith(FARGATE_TABLE)) && fargateChildren().length > 0,
      60_000,
      'the Fargate extract',
    );
    child.kill('SIGKILL');
    await done;
    // The Fargate child of the killed runner stops with it.
    await waitFor(async () => fargateChildren().length === 0, 10_000, 'the Fargate child to exit');
    // It stopped with its runner rather than finishing the table on its own.
    const analytics = await openPg(bench.config.pipeline.connections.analytics, { label: 'check' });
    try {
      const finished = await analytics.query(
        `SELECT 1 FROM etl_meta.stage_results s JOIN etl_meta.runs r USING (run_id)
          WHERE r.status = 'running' AND s.table_name = $1 AND s.stage = 'extract' AND s.status = 'succeeded'`,
        [FARGATE_TABLE],
      );
      expect(finished).toEqual([]);
    } finally {
      await analytics.close();
    }
    const rerun = cli(['run', '--config', 'pipeline.yml', '--tables', ...TABLES]);
    const { code, out } = await rerun.done;
    expect(out).toMatch(/had been killed before it finished: marked interrupted/);
    expect(code).toBe(0);
    expect(await bench.differences()).toEqual([]);
  });

  it('the Fargate task process: the table fails naming its stage; the next run converges', async () => {
    const alerts: string[] = [];
    let killed = false;
    const result = await bench.run(
      { tables: [FARGATE_TABLE], force: true },
      {
        alertSink: (alert) => {
          alerts.push(`${alert.subject} ${alert.message}`);
        },
        wrapHandlers: (name, handler) =>
          name === 'FargateExtract'
            ? async (input) => {
                const running = handler(input);
                running.catch(() => {}); // its failure is the state machine's to handle
                await waitFor(() => replicaBusyWith(FARGATE_TABLE), 60_000, 'the Fargate extract');
                const children = fargateChildren();
                for (const pid of children) process.kill(pid, 'SIGKILL');
                killed = children.length > 0;
                return running;
              }
            : handler,
      },
    );
    expect(killed).toBe(true);
    expect(result.status).toBe('failed');
    expect(alerts.join('\n')).toMatch(new RegExp(`${FARGATE_TABLE} failed in stage extract`));
    await expectConverged();
  });
});

describe('database restarts and lock waits during a run', () => {
  it('MariaDB restarted mid-extract: transient failures are retried and the run converges', async () => {
    await expectSurvivesRestart('LambdaExtract', async () => {
      await waitFor(() => replicaBusyWith('procedurelog'), 60_000, 'the extract');
      await restartMariadb();
    });
  });

  it('PostgreSQL restarted mid-load: transient failures are retried and the run converges', async () => {
    await expectSurvivesRestart('LambdaLoad', restartPostgres);
  });

  it('a lock wait timeout on the replica: retried once the lock is gone, no change lost', async () => {
    await bench.dayOfChanges();
    const [previous] = await bench.admin.queryArrays('SELECT @@GLOBAL.innodb_lock_wait_timeout');
    const holder = await openMysql(
      { ...bench.config.pipeline.connections.replication, user: 'root', password: '' },
      { label: 'test-lock-holder', readOnly: false },
    );
    const errors: string[] = [];
    try {
      await bench.admin.execute('SET GLOBAL innodb_lock_wait_timeout = 2');
      await holder.execute('START TRANSACTION');
      await holder.query(`SELECT COUNT(*) FROM ${quoteMysql('procedurelog')} FOR UPDATE`);
      const result = await bench.run(undefined, {
        wrapHandlers: (name, handler) =>
          name === 'LambdaExtract'
            ? async (input) => {
                try {
                  return await handler(input);
                } catch (error) {
                  errors.push((error as Error).name);
                  await holder.execute('COMMIT');
                  throw error;
                }
              }
            : handler,
      });
      expect(errors).toContain('LockWaitTimeoutError');
      expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
    } finally {
      await bench.admin.execute(`SET GLOBAL innodb_lock_wait_timeout = ${Number(previous?.[0])}`);
      await holder.close();
    }
    expect(await bench.differences()).toEqual([]);
  });
});

describe('bad input', () => {
  it('malformed YAML, wrong types and missing env vars: clear errors that echo no secret', () => {
    const cases: [string, string, RegExp][] = [
      [
        'malformed.yml',
        `connections:\n  source: { password: ${CANARY.sourcePassword}\n  replication: [\n`,
        /malformed\.yml:\d+:\d+/,
      ],
      [
        'types.yml',
        `general: { batch_size: lots }\nconnections:\n  source: { port: ${CANARY.sourcePassword} }\n`,
        /general\.batch_size/,
      ],
      [
        'env.yml',
        `connections:\n  source: { password: "\${OD_PASSWORD_NOT_SET}", user: "\${OD_USER_NOT_SET}" }\n`,
        /OD_PASSWORD_NOT_SET[\s\S]*OD_USER_NOT_SET|OD_USER_NOT_SET[\s\S]*OD_PASSWORD_NOT_SET/,
      ],
    ];
    for (const [file, text, expected] of cases) {
      writeFileSync(join(bench.dir, file), text);
      let message = '';
      try {
        loadConfig({ path: join(bench.dir, file), env: {} });
      } catch (error) {
        message = (error as Error).message;
      }
      bench.emitted.add(`config error ${file}`, message);
      expect(message).toMatch(expected);
    }
  });

  it('injection-shaped and look-alike table names are rejected before any connection or SQL', async () => {
    writeFileSync(
      join(bench.dir, 'unreachable.yml'),
      'connections:\n  source: { port: 1 }\n  replication: { port: 1 }\n  analytics: { port: 1 }\n',
    );
    const names = [
      'patient; DROP TABLE x',
      'pat`ient',
      "patient' OR '1'='1",
      'p\u0430tient', // Cyrillic a
      'patient--',
      '../patient',
    ];
    for (const name of names)
      expect(() => rejectMalformedTableNames({ tables: ['patient', name] })).toThrow(ConfigError);
    for (const name of [names[0] as string, names[3] as string]) {
      // Every database is unreachable: exit 2 (usage) rather than 3 (connection) proves no
      // connection was even tried.
      const { code, out } = await cli(['run', '--config', 'unreachable.yml', '--tables', name])
        .done;
      expect(code).toBe(2);
      expect(out).toMatch(/not identifiers/);
      expect(out).not.toContain(name);
    }
    // The state machine input is checked the same way, and the source keeps its tables.
    const result = await bench.run({ tables: ['patient; DROP TABLE x'] });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('ConfigError');
    const [left] = await bench.admin.queryArrays(
      'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [bench.names.source],
    );
    expect(Number(left?.[0])).toBe(422);
  });

  it('a source user without SELECT on one table: that table fails clearly, the others go on', async () => {
    const user = `etlf_lim_${process.pid}`;
    await bench.admin.execute(`DROP USER IF EXISTS '${user}'@'%'`);
    await bench.admin.execute(`CREATE USER '${user}'@'%' IDENTIFIED BY '${CANARY.sourcePassword}'`);
    const src = quoteMysql(bench.names.source);
    for (const table of TABLES.filter((t) => t !== 'commlog'))
      await bench.admin.execute(`GRANT SELECT ON ${src}.${quoteMysql(table)} TO '${user}'@'%'`);
    // Only the key column of commlog: the table is visible, its rows are not readable.
    await bench.admin.execute(`GRANT SELECT (CommlogNum) ON ${src}.commlog TO '${user}'@'%'`);
    try {
      const pipeline = structuredClone(bench.config.pipeline);
      pipeline.connections.source.user = user;
      const alerts: string[] = [];
      const result = await bench.run(undefined, {
        config: { ...bench.config, pipeline },
        alertSink: (alert) => {
          alerts.push(`${alert.subject} ${alert.message}`);
        },
      });
      expect(result.status).toBe('failed');
      expect(alerts.join('\n')).toMatch(
        /commlog failed in stage extract with PermissionDeniedError/,
      );
      expect(alerts.join('\n')).not.toMatch(/patient failed|procedurelog failed/);
      expect(
        result.outputs
          .filter((o) => o.stage === 'transform')
          .map((o) => o.table)
          .sort(),
      ).toEqual(TABLES.filter((t) => t !== 'commlog').sort());
    } finally {
      await bench.admin.execute(`DROP USER IF EXISTS '${user}'@'%'`);
    }
    await expectConverged();
  });

  it('an unreachable host: a fast, clear failure naming the connection, no hang', async () => {
    writeFileSync(
      join(bench.dir, 'blackhole.yml'),
      `connections:\n  source: { host: 10.255.255.1, connect_timeout_seconds: 2, password: ${CANARY.sourcePassword} }\n`,
    );
    const { code, out } = await cli(['run', '--config', 'blackhole.yml']).done;
    expect(code).toBe(3);
    expect(out).toMatch(/ConnectionTimeoutError/);
    expect(out).toMatch(/source/);
  });

  it('a source table without a primary key: copied whole each run (documented fallback), equal everywhere', async () => {
    const src = quoteMysql(bench.names.source);
    await bench.admin.execute(
      `CREATE TABLE IF NOT EXISTS ${src}.etl_nokey_notes (PatNum BIGINT NOT NULL, Note TEXT NOT NULL) ENGINE=MyISAM`,
    );
    await bench.admin.execute(
      `INSERT INTO ${src}.etl_nokey_notes VALUES (1, ?), (1, ?), (2, 'second visit')`,
      [CANARY.note, CANARY.note],
    );
    const first = await bench.run({ tables: ['etl_nokey_notes'] });
    expect(first.status, `${first.error}: ${first.cause}`).toBe('succeeded');
    const plan = first.output as { tables?: { strategy: string; strategyReason: string }[] };
    expect(plan.tables?.[0]).toMatchObject({ strategy: 'full', strategyReason: /no primary key/ });
    await bench.admin.execute(`DELETE FROM ${src}.etl_nokey_notes WHERE PatNum = 2`);
    const second = await bench.run({ tables: ['etl_nokey_notes'] });
    expect(second.status).toBe('succeeded');
    const analytics = await openPg(bench.config.pipeline.connections.analytics, { label: 'check' });
    try {
      for (const schema of ['raw', 'public']) {
        const [row] = await analytics.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${quotePg(schema)}.etl_nokey_notes`,
        );
        expect(row?.n).toBe('2');
      }
    } finally {
      await analytics.close();
    }
    await bench.admin.execute(`DROP TABLE ${src}.etl_nokey_notes`);
  });
});

describe('concurrent runs', () => {
  it('refuses while another run holds the analytics database, writing nothing', async () => {
    const pg = await openPg(bench.config.pipeline.connections.analytics, { label: 'test' });
    try {
      await ensureRunHistory(pg, 'etl_meta');
      await claimRun(pg, 'etl_meta', {
        runId: 'aws-run-in-progress',
        tables: 8,
        input: {},
        runner: 'aws',
        leaseMinutes: 240,
      });
      const before = await pg.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM etl_meta.stage_results',
      );
      const refused = await bench.run();
      expect(refused.status).toBe('failed');
      expect(refused.error).toBe('RunInProgressError');
      expect(refused.cause).toMatch(/aws-run-in-progress/);
      const after = await pg.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM etl_meta.stage_results',
      );
      expect(after).toEqual(before);
      await finishRun(pg, 'etl_meta', 'aws-run-in-progress', []);
    } finally {
      await pg.close();
    }
    const allowed = await bench.run();
    expect(allowed.status).toBe('succeeded');
  });

  it('a second local run while one is in progress refuses; the first finishes alone', async () => {
    await bench.dayOfChanges();
    const first = cli(['run', '--config', 'pipeline.yml', '--force', '--tables', ...TABLES]);
    await waitFor(() => replicaBusyWith('procedurelog'), 60_000, 'the first run to be working');
    const second = await cli(['run', '--config', 'pipeline.yml', '--tables', ...TABLES]).done;
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/RunInProgressError: .*another local run is in progress/);
    const done = await first.done;
    expect(done.code, done.out).toBe(0);
    const runs = await bench.pgAdmin.query<{ n: string }>(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'etl-pipeline run lock'`,
      [bench.names.analytics],
    );
    expect(runs).toEqual([]);
    expect(await bench.differences()).toEqual([]);
  });
});

describe('source safety', () => {
  it('sends only read statements to the source: no DDL, no DML, no temporary tables', async () => {
    await bench.admin.execute('TRUNCATE mysql.general_log');
    await bench.admin.execute("SET GLOBAL log_output = 'TABLE'");
    await bench.admin.execute('SET GLOBAL general_log = 1');
    try {
      await bench.dayOfChanges();
      expect((await bench.run({ tables: TABLES, force: true })).status).toBe('succeeded');
      await bench.dayOfChanges();
      expect((await bench.run({ tables: TABLES, reconcile: true })).status).toBe('succeeded');
    } finally {
      await bench.admin.execute('SET GLOBAL general_log = 0');
    }
    const statements = await bench.admin.queryArrays(
      "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log WHERE user_host LIKE ? AND command_type IN ('Query', 'Execute', 'Prepare')",
      [`${bench.users.source}%`],
    );
    await bench.admin.execute('TRUNCATE mysql.general_log');
    const sql = statements.map((r) => String(r[0]).trim());
    expect(sql.length).toBeGreaterThan(100);
    const allowed =
      /^(SELECT|SHOW|SET SESSION|SET NAMES|SET autocommit|START TRANSACTION|COMMIT|ROLLBACK)\b/i;
    expect(sql.filter((s) => !allowed.test(s))).toEqual([]);
    expect(
      sql.filter((s) => /\bTEMPORARY\b|\bFOR UPDATE\b|\bLOCK IN SHARE MODE\b/i.test(s)),
    ).toEqual([]);
  });
});

describe('PHI and credential canaries', () => {
  it('appear in no log file, console output, error, alert or metric of the whole suite', () => {
    bench.collectLogFiles();
    const kinds = new Set(bench.emitted.texts.map((t) => t.where.replace(/ .*/, '')));
    // Everything was collected: log files, CLI output, task errors, alerts, metrics, config errors.
    for (const kind of ['log', 'cli', 'task', 'alert', 'metrics', 'config', 'run'])
      expect(kinds).toContain(kind);
    expect(readdirSync(join(bench.dir, 'logs')).length).toBeGreaterThan(0);
    expect(bench.emitted.leaks()).toEqual([]);
  });

  it('self-check: a log line changed to print a row value is caught', async () => {
    const [row] = await bench.admin.query<{ LName: string; SSN: string }>(
      `SELECT LName, SSN FROM ${quoteMysql(bench.names.source)}.patient WHERE PatNum % 7 = 1 LIMIT 1`,
    );
    const dir = join(bench.dir, 'selfcheck');
    const logger = createLocalLogger({ dir, retentionDays: 1 });
    // The same kind of line the load writes, once as it is and once "changed" to carry the row.
    logger.info('stage done', { table: 'patient', stage: 'load', rows: 1 });
    logger.info('stage done', {
      table: 'patient',
      stage: 'load',
      rows: 1,
      lastName: row?.LName,
      ssn: row?.SSN,
    });
    logger.flush();
    const check = new Emitted();
    for (const file of readdirSync(dir))
      check.add(`log file ${file}`, readFileSync(join(dir, file), 'utf8'));
    expect(check.leaks().map((l) => l.needle)).toEqual(
      expect.arrayContaining([CANARY.lastName, CANARY.ssn]),
    );
    const clean = new Emitted();
    clean.add('log line', JSON.stringify({ msg: 'stage done', table: 'patient', rows: 1 }));
    expect(clean.leaks()).toEqual([]);
  });
});

async function restartMariadb(): Promise<void> {
  await exec('mysqladmin', ['-uroot', '-h127.0.0.1', 'shutdown']);
  // Start only once the old server has exited (--oknodo would otherwise see it and do nothing).
  await waitFor(
    () =>
      exec('pgrep', ['-x', 'mariadbd']).then(
        () => false,
        () => true,
      ),
    60_000,
    'MariaDB to stop',
  );
  await exec('start-stop-daemon', [
    '--start',
    '--oknodo',
    '--background',
    '--exec',
    '/usr/sbin/mariadbd',
    // .ci/run enables LOAD DATA LOCAL at run time; a restarted server needs it from the start.
    '--',
    '--local-infile=1',
  ]);
  await waitFor(
    () => exec('mysqladmin', ['-uroot', '-h127.0.0.1', 'ping']).then(() => true),
    60_000,
    'MariaDB to come back',
  );
  await bench.reconnect();
}

async function restartPostgres(): Promise<void> {
  const { stdout } = await exec('ls', ['/etc/postgresql']);
  const version = stdout.trim().split('\n')[0] ?? '15';
  await exec('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart']);
  await bench.reconnect();
}
