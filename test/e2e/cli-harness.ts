import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * What the CLI e2e files share: a tiny demo clinic as the source, a scratch directory with the
 * configurations the tests run the real binary with, and the binary as a child process. The
 * replica and analytics databases of `pipeline.yml` (`<name>_fresh`) do not exist until a run
 * creates them, so a test can prove that a command wrote nothing.
 */
const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/etl-pipeline.mjs');
/** The source password of `wrong-password.yml`: no command may print it. */
export const CANARY = 'Canary-Cli-Secret-77d1';

/** Runs the real binary as a child process in `dir`; never throws, returns the exit code and output. */
export async function runCli(
  dir: string,
  ...args: string[]
): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: dir,
      timeout: 300_000,
      // Where the vitest config keeps the cached definitions (the CLI would use ~/.cache).
      env: {
        PATH: process.env.PATH,
        ETL_DEFINITION_CACHE_DIR: process.env.ETL_DEFINITION_CACHE_DIR,
      },
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: Number(e.code ?? 1), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Whether a database of that name exists on the MariaDB and on the PostgreSQL server. */
export async function databaseExistsIn(
  fx: PipelineFixture,
  name: string,
): Promise<{ mysql: boolean; pg: boolean }> {
  const mysql = await fx.admin.query(
    'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [name],
  );
  const pg = await fx.pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return { mysql: mysql.length > 0, pg: pg.length > 0 };
}

/**
 * The fixture (its source seeded with the tiny clinic) and a scratch directory holding
 * `pipeline.yml`, `unreachable.yml` (analytics on port 1) and `wrong-password.yml` (the canary).
 */
export async function createCliClinic(tag: string): Promise<{ fx: PipelineFixture; dir: string }> {
  const fx = await createPipelineFixture(tag);
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 51, database: fx.names.source });
  const dir = mkdtempSync(join(tmpdir(), 'etl-cli-run-'));
  const yaml = (analyticsPort: number) => `connections:
  source: { database: ${fx.names.source} }
  replication: { database: ${fx.names.replica}_fresh }
  analytics: { database: ${fx.names.analytics}_fresh, port: ${analyticsPort}, connect_timeout_seconds: 3 }
`;
  writeFileSync(join(dir, 'pipeline.yml'), yaml(5432));
  writeFileSync(join(dir, 'unreachable.yml'), yaml(1));
  writeFileSync(
    join(dir, 'wrong-password.yml'),
    `connections:\n  source: { database: ${fx.names.source}, password: ${CANARY} }\n`,
  );
  return { fx, dir };
}

/** Drops the `_fresh` databases the runs created, then the fixture's. */
export async function closeCliClinic(fx: PipelineFixture): Promise<void> {
  await fx.admin.execute(`DROP DATABASE IF EXISTS \`${fx.names.replica}_fresh\``);
  await fx.pgAdmin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
    [`${fx.names.analytics}_fresh`],
  );
  await fx.pgAdmin.query(`DROP DATABASE IF EXISTS "${fx.names.analytics}_fresh"`);
  await fx?.close();
}
