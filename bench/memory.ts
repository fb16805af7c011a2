import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { extractTable } from '../core/extract/extract-table';
import { loadTable } from '../core/load/load-table';
import { BENCH_DB, openAdmins, openBenchStages } from './databases';

/**
 * Peak RSS of the project process for the same table at two sizes: each measurement is a fresh
 * child process that extracts and loads the table in full, then reports
 * `process.resourceUsage().maxRSS`. Memory must not grow with the table.
 */
export async function benchMemory(
  table: string,
  sizes: readonly number[],
): Promise<{ rows: number; peakRssMb: number }[]> {
  const out: { rows: number; peakRssMb: number }[] = [];
  for (const rows of sizes) {
    // The source is prepared here; the measured child process imports only the stages.
    const { prepareBenchSource } = await import('./stage-sources');
    await prepareBenchSource([table], rows);
    const report = execFileSync(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'memory.ts'), 'probe', table],
      {
        encoding: 'utf8',
        cwd: join(import.meta.dirname, '..'),
      },
    );
    const peakRssMb = Number(/peakRssMb=(\d+(\.\d+)?)/.exec(report)?.[1]);
    console.log(
      `memory ${table}: ${rows.toLocaleString('en-US')} rows → peak RSS ${peakRssMb.toFixed(0)} MB (extract + load, one process)`,
    );
    out.push({ rows, peakRssMb });
  }
  return out;
}

async function probe(table: string): Promise<void> {
  const admins = await openAdmins();
  try {
    await admins.mysql.execute(`CREATE DATABASE IF NOT EXISTS ${quoteMysql(BENCH_DB.replica)}`);
    const exists = await admins.pg.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      BENCH_DB.analytics,
    ]);
    if (exists.length === 0)
      await admins.pg.query(`CREATE DATABASE ${quotePg(BENCH_DB.analytics)}`);
  } finally {
    await admins.close();
  }
  const stages = await openBenchStages();
  try {
    await extractTable(stages.extract, { runId: 'memory', table, mode: 'full' });
    await loadTable(stages.load, { runId: 'memory', table, mode: 'full' });
  } finally {
    await stages.close();
  }
  console.log(`peakRssMb=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
}

if (process.argv[2] === 'probe') await probe(process.argv[3] ?? 'procedurelog');
