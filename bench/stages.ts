import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quotePg } from '../core/db/identifiers';
import { discoverSchema } from '../core/discovery/discover-schema';
import { extractTable } from '../core/extract/extract-table';
import { loadTable } from '../core/load/load-table';
import { silentLogger } from '../core/logging/logger';
import { stageDependencies } from '../core/pipeline/stage-registry';
import { transformTable } from '../core/transform/transform-table';
import {
  BENCH_CONFIG,
  BENCH_DB,
  freshMysqlDb,
  freshPgDb,
  openAdmins,
  openBenchStages,
} from './databases';
import { type Comparison, compare, median } from './harness';
import { PGLOADER_TUNING, pgloaderCommand } from './pgloader-command';
import { shell } from './shell';

/**
 * Stage benchmarks against the baselines a user would reach for, on the demo generator's data
 * (`prepareStageSources`):
 * - extract vs `mariadb-dump --single-transaction --quick | mariadb` into a fresh database, from
 *   the MyISAM source (as OpenDental creates its tables) and from its InnoDB copy;
 * - load vs pgloader (the same work: casts, rows, primary key; its documented tuning) and vs the
 *   pipe ceiling `mariadb --batch --quick | psql -c "COPY … FROM STDIN"` (into text columns:
 *   speed only);
 * - transform rows/s.
 */
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
    const innodbStages = await openBenchStages(BENCH_DB.sourceInnodb);
    const { replica, analytics } = stages;
    // The project side of both load comparisons.
    const fullLoad = (table: string) => ({
      label: 'loadTable (full COPY)',
      run: () =>
        loadTable(stages.load, { runId: 'bench', table, mode: 'full' }).then(() => undefined),
    });
    try {
      for (const table of tables) {
        for (const [engine, source, extract] of [
          ['MyISAM', BENCH_DB.source, stages.extract],
          ['InnoDB', BENCH_DB.sourceInnodb, innodbStages.extract],
        ] as const) {
          results.push(
            await compare({
              name: `extract ${table} (${engine} source)`,
              rows,
              repeats,
              project: {
                label: 'extractTable (full)',
                run: () =>
                  extractTable(extract, { runId: 'bench', table, mode: 'full' }).then(
                    () => undefined,
                  ),
              },
              baseline: {
                label: 'mariadb-dump | mariadb',
                prepare: () => freshMysqlDb(admin, BENCH_DB.dump),
                run: async () => {
                  await shell(
                    `mariadb-dump -h127.0.0.1 -uroot --single-transaction --quick ${source} ${table} | mariadb -h127.0.0.1 -uroot ${BENCH_DB.dump}`,
                  );
                },
              },
            }),
          );
        }
        const [discovered] = (await discoverSchema(replica, BENCH_DB.replica, [table])).tables;
        const columns = discovered?.columns.map((c) => c.name) ?? [];
        const pgloaderFile = join(tmpdir(), `${BENCH_DB.pgloader}-${table}.load`);
        writeFileSync(
          pgloaderFile,
          pgloaderCommand({
            table,
            primaryKey: discovered?.primaryKey ?? [],
            mysqlDatabase: BENCH_DB.replica,
            pgDatabase: BENCH_DB.pgloader,
            tuning: PGLOADER_TUNING,
          }),
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
              prepare: () => freshPgDb(pgAdmin, BENCH_DB.pgloader),
              run: async () => {
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
              prepare: async () => {
                await analytics.query(`DROP TABLE IF EXISTS ${quotePg(ceilingTable)}`);
                await analytics.query(
                  `CREATE TABLE ${quotePg(ceilingTable)} (${columns.map((c) => `${quotePg(c.toLowerCase())} text`).join(', ')})`,
                );
              },
              run: async () => {
                await shell(
                  `mariadb -h127.0.0.1 -uroot --batch --quick -N -e 'SELECT * FROM ${table}' ${BENCH_DB.replica} | psql -h127.0.0.1 -U postgres -q ${BENCH_DB.analytics} -c "COPY ${ceilingTable} FROM STDIN WITH (NULL 'NULL')"`,
                );
              },
            },
          }),
        );
        results.push(await benchTransform(table, rows, repeats, analytics));
      }
    } finally {
      await stages.close();
      await innodbStages.close();
    }
  } finally {
    await admins.close();
  }
  return results;
}

async function benchTransform(
  table: string,
  rows: number,
  repeats: number,
  analytics: Awaited<ReturnType<typeof openBenchStages>>['analytics'],
): Promise<Comparison> {
  const transformRuns: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await transformTable(stageDependencies.transform(BENCH_CONFIG, { analytics }, silentLogger), {
      runId: 'bench',
      table,
      mode: 'full',
    });
    transformRuns.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  console.log(
    `transform ${table}: ${Math.round(rows / median(transformRuns)).toLocaleString('en-US')} rows/s (median of ${repeats})`,
  );
  return {
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
  };
}
