import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import type { MysqlSession, PgSession } from '../core/db/ports';
import { seedDemoClinic } from '../core/demo/seed-clinic';
import { discoverSchema } from '../core/discovery/discover-schema';
import { extractTable } from '../core/extract/extract-table';
import { loadTable } from '../core/load/load-table';
import { silentLogger } from '../core/logging/logger';
import { stageDependencies } from '../core/pipeline/stage-registry';
import { transformTable } from '../core/transform/transform-table';
import { BENCH_CONFIG, BENCH_DB, LOCAL_MYSQL, openAdmins, openBenchStages } from './databases';
import { type Comparison, compare, median } from './harness';

/**
 * Stage benchmarks against the baselines a user would reach for, on the demo generator's data:
 * - extract vs `mariadb-dump --single-transaction --quick | mariadb` into a fresh database;
 * - load vs pgloader (with the cast rules OpenDental's zero dates need) and vs the pipe ceiling
 *   `mariadb --batch --quick | psql -c "COPY … FROM STDIN"` (into text columns: speed only);
 * - transform rows/s.
 */

export async function prepareBenchSource(tables: readonly string[], rows: number): Promise<void> {
  const admin = await openMysql(
    { ...LOCAL_MYSQL, database: 'mysql' },
    { label: 'bench', readOnly: false, localInfile: true, database: null },
  );
  try {
    const [existing] = await admin.queryArrays(
      `SELECT GROUP_CONCAT(CONCAT(TABLE_NAME, ':', TABLE_ROWS)) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)`,
      [BENCH_DB.source, tables],
    );
    const wanted = tables
      .map((t) => `${t}:${rows}`)
      .sort()
      .join(',');
    const have = String(existing?.[0] ?? '')
      .split(',')
      .sort()
      .join(',');
    if (have === wanted) return; // reuse the generated source
    console.log(
      `generating ${rows.toLocaleString('en-US')} rows of ${tables.join(', ')} with the demo generator`,
    );
    await seedDemoClinic(admin, {
      scale: 'small',
      seed: 7,
      database: BENCH_DB.source,
      replaceForeign: true,
      onlyTables: tables,
      rowCounts: Object.fromEntries(tables.map((t) => [t, rows])),
    });
  } finally {
    await admin.close();
  }
}

function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`baseline failed (${code}): ${stderr.slice(0, 300)}`)),
    );
  });
}

async function freshMysqlDb(admin: MysqlSession, name: string) {
  await admin.execute(`DROP DATABASE IF EXISTS ${quoteMysql(name)}`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(name)}`);
}

async function freshPgDb(pgAdmin: PgSession, name: string) {
  await pgAdmin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(name)}`);
  await pgAdmin.query(`CREATE DATABASE ${quotePg(name)}`);
}

export async function benchStages(
  tables: readonly string[],
  rows: number,
  repeats: number,
): Promise<Comparison[]> {
  const results: Comparison[] = [];
  const admins = await openAdmins();
  const admin = admins.mysql;
  const pgAdmin = admins.pg;
  try {
    await freshMysqlDb(admin, BENCH_DB.replica);
    await freshPgDb(pgAdmin, BENCH_DB.analytics);
    const stages = await openBenchStages();
    const { replica, analytics } = stages;
    // The project side of both load comparisons.
    const fullLoad = (table: string) => ({
      label: 'loadTable (full COPY)',
      run: () =>
        loadTable(stages.load, { runId: 'bench', table, mode: 'full' }).then(() => undefined),
    });
    try {
      for (const table of tables) {
        results.push(
          await compare({
            name: `extract ${table}`,
            rows,
            repeats,
            project: {
              label: 'extractTable (full)',
              run: () =>
                extractTable(stages.extract, { runId: 'bench', table, mode: 'full' }).then(
                  () => undefined,
                ),
            },
            baseline: {
              label: 'mariadb-dump | mariadb',
              run: async () => {
                await freshMysqlDb(admin, BENCH_DB.dump);
                await shell(
                  `mariadb-dump -h127.0.0.1 -uroot --single-transaction --quick ${BENCH_DB.source} ${table} | mariadb -h127.0.0.1 -uroot ${BENCH_DB.dump}`,
                );
              },
            },
          }),
        );
        const pgloaderFile = join(tmpdir(), `etl-bench-${table}.load`);
        writeFileSync(pgloaderFile, pgloaderCommand(table));
        const [columns] = (await discoverSchema(replica, BENCH_DB.replica, [table])).tables.map(
          (t) => t.columns.map((c) => c.name),
        );
        const ceilingTable = `ceiling_${table}`;
        results.push(
          await compare({
            name: `load ${table}`,
            rows,
            repeats,
            project: fullLoad(table),
            baseline: {
              label: 'pgloader',
              run: async () => {
                await freshPgDb(pgAdmin, BENCH_DB.pgloader);
                execFileSync('pgloader', ['--quiet', pgloaderFile], { stdio: 'ignore' });
              },
            },
          }),
        );
        results.push(
          await compare({
            name: `load ${table} (pipe ceiling, speed only)`,
            rows,
            repeats,
            project: fullLoad(table),
            baseline: {
              label: 'mariadb --batch | psql COPY',
              run: async () => {
                await analytics.query(`DROP TABLE IF EXISTS ${quotePg(ceilingTable)}`);
                await analytics.query(
                  `CREATE TABLE ${quotePg(ceilingTable)} (${(columns ?? []).map((c) => `${quotePg(c.toLowerCase())} text`).join(', ')})`,
                );
                await shell(
                  `mariadb -h127.0.0.1 -uroot --batch --quick -N -e 'SELECT * FROM ${table}' ${BENCH_DB.replica} | psql -h127.0.0.1 -U postgres -q ${BENCH_DB.analytics} -c "COPY ${ceilingTable} FROM STDIN WITH (NULL 'NULL')"`,
                );
              },
            },
          }),
        );
        const transformRuns: number[] = [];
        for (let i = 0; i < repeats; i++) {
          const t0 = process.hrtime.bigint();
          await transformTable(
            stageDependencies.transform(BENCH_CONFIG, { analytics }, silentLogger),
            {
              runId: 'bench',
              table,
              mode: 'full',
            },
          );
          transformRuns.push(Number(process.hrtime.bigint() - t0) / 1e9);
        }
        console.log(
          `transform ${table}: ${Math.round(rows / median(transformRuns)).toLocaleString('en-US')} rows/s (median of ${repeats})`,
        );
        results.push({
          name: `transform ${table}`,
          unit: 'rows/s',
          rows,
          project: {
            label: 'transformTable (full)',
            runsSeconds: transformRuns,
            median: median(transformRuns),
          },
          baseline: { label: 'none', runsSeconds: [], median: Number.NaN },
          ratio: Number.NaN,
        });
      }
    } finally {
      await stages.close();
    }
  } finally {
    await admins.close();
  }
  return results;
}

/** pgloader with the casts OpenDental needs: its defaults abort on zero dates and make tinyint(1) boolean. */
function pgloaderCommand(table: string): string {
  return `LOAD DATABASE
  FROM mysql://root@127.0.0.1:3306/${BENCH_DB.replica}
  INTO postgresql://postgres@127.0.0.1:5432/${BENCH_DB.pgloader}
  INCLUDING ONLY TABLE NAMES MATCHING '${table}'
  WITH include drop, create tables, create indexes, reset sequences, workers = 2, concurrency = 1
  CAST type datetime to timestamp drop default drop not null using zero-dates-to-null,
       type date drop not null drop default using zero-dates-to-null,
       type timestamp to timestamp drop default drop not null using zero-dates-to-null,
       type tinyint to smallint drop typemod,
       type time to interval drop default drop not null
  SET MySQL PARAMETERS net_read_timeout = '600', net_write_timeout = '600';
`;
}
