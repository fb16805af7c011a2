import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openPg } from '../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../core/db/ports';
import type { Scale } from '../core/demo/scales';
import { seedBenchClinic } from './bench-clinic';
import { BENCH_PREFIX, dropPgDb, freshPgDb, LOCAL_PG, openAdmins } from './databases';
import { checkNight, describeDifferences } from './night-check';
import { watchPeakRss } from './peak-rss';
import { shell } from './shell';

const CLINIC = {
  source: `${BENCH_PREFIX}_clinic_source`,
  replica: `${BENCH_PREFIX}_clinic_replica`,
  analytics: `${BENCH_PREFIX}_clinic_analytics`,
  ceiling: `${BENCH_PREFIX}_clinic_ceiling`,
};
/** Tables at once, in the run (`--parallel`) and in the ceiling. */
const PARALLEL = 2;
const ROOT = join(import.meta.dirname, '..');
/** The shipped configuration, pointed at the bench databases by its environment variables. */
const PIPELINE_YML = join(ROOT, 'config', 'pipeline.yml');
const CONFIG_ENV = {
  OPENDENTAL_SOURCE_DB: CLINIC.source,
  OPENDENTAL_REPLICA_DB: CLINIC.replica,
  OPENDENTAL_ANALYTICS_DB: CLINIC.analytics,
};

export type ClinicCheck = 'rows' | 'verify';

export interface CliRun {
  args: string[];
  seconds: number;
  /** Peak RSS of the `etl-pipeline` node process itself. */
  peakRssMb: number;
  /** The largest peak RSS of its child processes (the local run's Fargate tasks), if any. */
  childPeakRssMb: number | null;
}

export interface ClinicResult {
  scale: Scale;
  source: 'seeded' | 'reused';
  tables: number;
  rows: number;
  ceiling: { seconds: number; failed: { table: string; error: string }[] };
  run: CliRun;
  /** run seconds / ceiling seconds (target ≤ 3). */
  ratio: number;
  check: { kind: ClinicCheck; seconds: number; tables: number; differing: number };
  oneTable: CliRun;
}

/**
 * The whole demo clinic, in one run: the pipe ceiling (every table through
 * `mariadb --batch --quick | psql COPY` into all-text tables, `PARALLEL` at a time), then the
 * full run through the CLI as a user starts it (`etl-pipeline run --parallel 2 --force` on the
 * shipped configuration), timed with its peak RSS, the warehouse checked equal to the source
 * (`check`), and a one-table run's peak RSS.
 */
export async function benchClinic(
  scale: Scale,
  options: { reuse?: boolean; check?: ClinicCheck; oneTable?: string } = {},
): Promise<ClinicResult> {
  const check = options.check ?? (scale === 'clinic' ? 'verify' : 'rows');
  const admins = await openAdmins();
  let prepared: { source: 'seeded' | 'reused'; tables: SourceTable[] };
  let ceiling: ClinicResult['ceiling'];
  try {
    const source = await seedBenchClinic(admins.mysql, scale, CLINIC.source, {
      reuse: options.reuse,
    });
    prepared = { source, tables: await sourceTables(admins.mysql) };
    await admins.mysql.execute(`DROP DATABASE IF EXISTS ${quoteMysql(CLINIC.replica)}`);
    await dropPgDb(admins.pg, CLINIC.analytics);
    ceiling = await pipeCeiling(admins.pg, prepared.tables);
  } finally {
    await admins.close();
  }
  const rows = prepared.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(
    `clinic (${scale}): pipe ceiling ${ceiling.seconds.toFixed(1)} s for ${prepared.tables.length} tables, ${rows.toLocaleString('en-US')} rows (${ceiling.failed.length} failed to COPY${ceiling.failed.map((f) => `; ${f.table}: ${f.error}`).join('')})`,
  );

  const run = await cliRun(['run', '--parallel', String(PARALLEL), '--force']);
  const ratio = run.seconds / ceiling.seconds;
  console.log(
    `clinic (${scale}): etl-pipeline run ${run.seconds.toFixed(1)} s, ratio run/ceiling ${ratio.toFixed(2)} (target ≤ 3); peak RSS ${describeRss(run)}`,
  );

  const config = loadConfig({ path: PIPELINE_YML, env: { ...process.env, ...CONFIG_ENV } });
  const t0 = process.hrtime.bigint();
  const checked = await checkNight(config.pipeline, { rowForRow: check === 'rows' });
  const checkSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const differing = Object.keys(checked.differences);
  console.log(
    `checked ${checked.tables} tables (${check === 'rows' ? 'row for row: source = replica by counts and range checksums, replica = raw = public by every value' : 'verify: source = replica by counts and range checksums, raw and public by counts'}) in ${checkSeconds.toFixed(1)} s: ${differing.length} differ`,
  );
  if (differing.length > 0)
    throw new Error(
      `after the clinic run, ${differing.length} tables differ:\n${describeDifferences(checked.differences)}`,
    );

  const oneTable = await cliRun(['run', '--tables', options.oneTable ?? 'procedurelog', '--force']);
  console.log(
    `one table (${options.oneTable ?? 'procedurelog'}): etl-pipeline run ${oneTable.seconds.toFixed(1)} s; peak RSS ${describeRss(oneTable)}`,
  );
  return {
    scale,
    source: prepared.source,
    tables: prepared.tables.length,
    rows,
    ceiling,
    run,
    ratio,
    check: { kind: check, seconds: checkSeconds, tables: checked.tables, differing: 0 },
    oneTable,
  };
}

function describeRss(run: CliRun): string {
  const child =
    run.childPeakRssMb === null
      ? 'no child process'
      : `its largest child process (a Fargate task) ${run.childPeakRssMb.toFixed(0)} MB`;
  return `${run.peakRssMb.toFixed(0)} MB (the etl-pipeline process), ${child}`;
}

interface SourceTable {
  name: string;
  rows: number;
  columns: string[];
}

async function sourceTables(admin: MysqlSession): Promise<SourceTable[]> {
  const tables = await admin.queryArrays(
    'SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [CLINIC.source],
  );
  const columns = await admin.queryArrays(
    'SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION',
    [CLINIC.source],
  );
  return tables.map(([name, rows]) => ({
    name: String(name),
    rows: Number(rows),
    columns: columns.filter(([t]) => t === name).map(([, c]) => String(c)),
  }));
}

/**
 * Every table through `mariadb --batch --quick -N | psql COPY` into a table of text columns in a
 * fresh database, `PARALLEL` at a time, largest first (its best order). Both sides speak the
 * same escapes (backslash, tab, newline; NULL printed as `NULL`), so this converts and checks
 * nothing: a speed ceiling. A table whose content COPY refuses is reported, not dropped. The
 * database is dropped afterwards.
 */
async function pipeCeiling(
  pgAdmin: PgSession,
  tables: readonly SourceTable[],
): Promise<ClinicResult['ceiling']> {
  await freshPgDb(pgAdmin, CLINIC.ceiling);
  const pg = await openPg({ ...LOCAL_PG, database: CLINIC.ceiling }, { label: 'bench' });
  try {
    for (const t of tables)
      await pg.query(
        `CREATE TABLE ${quotePg(t.name.toLowerCase())} (${t.columns.map((c) => `${quotePg(c.toLowerCase())} text`).join(', ')})`,
      );
  } finally {
    await pg.close();
  }
  const queue = [...tables].sort((a, b) => b.rows - a.rows);
  const failed: { table: string; error: string }[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        await shell(
          'mariadb -h127.0.0.1 -uroot --batch --quick -N -e "$1" "$2" | psql -h127.0.0.1 -U postgres -q "$3" -c "$4"',
          [
            `SELECT * FROM ${quoteMysql(t.name)}`,
            CLINIC.source,
            CLINIC.ceiling,
            `COPY ${quotePg(t.name.toLowerCase())} FROM STDIN (NULL 'NULL')`,
          ],
        ).catch((error: Error) => failed.push({ table: t.name, error: error.message }));
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await dropPgDb(pgAdmin, CLINIC.ceiling); // its copy is of no further use
  return { seconds, failed };
}

/**
 * `node bin/etl-pipeline.mjs <args> -c config/pipeline.yml` as a child process (the node
 * process itself: the bin registers tsx in-process), its output to a log file, timed and
 * watched for peak RSS. Fails on a non-zero exit with the end of its output.
 */
function cliRun(args: string[]): Promise<CliRun> {
  const log = join(mkdtempSync(join(tmpdir(), `${BENCH_PREFIX}-clinic-`)), 'run.log');
  const out = createWriteStream(log);
  const t0 = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'etl-pipeline.mjs'), ...args, '-c', PIPELINE_YML],
    { cwd: ROOT, env: { ...process.env, ...CONFIG_ENV }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watch = watchPeakRss(child.pid as number);
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const { mainMb, childMb } = watch.stop();
      out.end(() => {
        if (code !== 0) {
          const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
          reject(new Error(`etl-pipeline ${args.join(' ')} exited ${code} (log ${log}):\n${tail}`));
          return;
        }
        resolve({ args, seconds, peakRssMb: mainMb, childPeakRssMb: childMb });
      });
    });
  });
}
