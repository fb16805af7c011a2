import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import { extractTable } from '../core/extract/extract-table';
import { loadTable } from '../core/load/load-table';
import { silentLogger } from '../core/logging/logger';
import { BENCH_DB } from './databases';

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
    const { prepareBenchSource } = await import('./stages');
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
  const mysql = {
    host: '127.0.0.1',
    port: 3306,
    user: 'root',
    password: '',
    tls: false as const,
    connect_timeout_seconds: 10,
  };
  const pgConfig = {
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    password: '',
    tls: false as const,
    connect_timeout_seconds: 10,
  };
  const admin = await openMysql(
    { ...mysql, database: 'mysql' },
    { label: 'bench', readOnly: false, database: null },
  );
  await admin.execute(`CREATE DATABASE IF NOT EXISTS ${quoteMysql(BENCH_DB.replica)}`);
  await admin.close();
  const pgAdmin = await openPg({ ...pgConfig, database: 'postgres' }, { label: 'bench' });
  if (
    (await pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB.analytics]))
      .length === 0
  ) {
    await pgAdmin.query(`CREATE DATABASE ${quotePg(BENCH_DB.analytics)}`);
  }
  await pgAdmin.close();
  const source = await openMysql(
    { ...mysql, database: BENCH_DB.source },
    { label: 'source', readOnly: true },
  );
  const replica = await openMysql(
    { ...mysql, database: BENCH_DB.replica },
    { label: 'replication', readOnly: false, localInfile: true },
  );
  const analytics = await openPg(
    { ...pgConfig, database: BENCH_DB.analytics },
    { label: 'analytics' },
  );
  try {
    await extractTable(
      {
        source,
        replica,
        sourceDatabase: BENCH_DB.source,
        replicaDatabase: BENCH_DB.replica,
        settings: { batchSize: 5000, overlapMinutes: 5, reconcileEveryRuns: 7 },
        logger: silentLogger,
      },
      { runId: 'memory', table, mode: 'full' },
    );
    await loadTable(
      {
        replica,
        analytics,
        replicaDatabase: BENCH_DB.replica,
        schemas: { raw: 'raw', meta: 'etl_meta' },
        settings: { batchSize: 5000 },
        logger: silentLogger,
      },
      { runId: 'memory', table, mode: 'full' },
    );
  } finally {
    await Promise.all([source.close(), replica.close(), analytics.close()]);
  }
  console.log(`peakRssMb=${(process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
}

if (process.argv[2] === 'probe') await probe(process.argv[3] ?? 'procedurelog');
