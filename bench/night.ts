import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocalPipeline } from '../cli/local-run';
import { plainProgress } from '../cli/progress';
import { loadConfig } from '../config/load-config';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openPg } from '../core/db/pg-adapter';
import type { Scale } from '../core/demo/scales';
import { seedDemoClinic } from '../core/demo/seed-clinic';
import { verifyPipeline } from '../core/pipeline/verify';
import { LOCAL_PG, openAdmins } from './databases';

const NIGHT = {
  source: 'etl_bench_night_source',
  replica: 'etl_bench_night_replica',
  analytics: 'etl_bench_night_analytics',
};
/**
 * Tables a clinic's day changes: key, a column to edit, and the change column OpenDental stamps
 * on every insert and edit (new rows get the time of the insert, as in OpenDental).
 */
const DAY: [table: string, key: string, edit: string, stamp: string][] = [
  ['procedurelog', 'ProcNum', 'ProcFee = ProcFee + 1', 'DateTStamp'],
  ['appointment', 'AptNum', "Note = CONCAT(Note, ' (confirmed)')", 'DateTStamp'],
  ['paysplit', 'SplitNum', 'SplitAmt = SplitAmt + 1', 'SecDateTEdit'],
  ['commlog', 'CommlogNum', "Note = CONCAT(Note, '.')", 'DateTStamp'],
  ['patient', 'PatNum', "HmPhone = CONCAT('1', HmPhone)", 'DateTStamp'],
  ['securitylog', 'SecurityLogNum', '', ''],
];

/**
 * The incremental night: the whole clinic through the local state machine (`--parallel 2`) in full,
 * then a realistic day of changes (about 0.5 % of the rows of the busy tables inserted, updated or
 * deleted), then the incremental run. Reports both times and their ratio.
 */
export async function benchNight(
  scale: Scale,
  options: { reuse?: boolean } = {},
): Promise<{
  fullSeconds: number;
  incrementalSeconds: number;
  ratio: number;
  changedRows: number;
}> {
  const admins = await openAdmins();
  const admin = admins.mysql;
  const pgAdmin = admins.pg;
  try {
    const reused = options.reuse ? await recordedFullRun() : null;
    if (options.reuse && reused === null)
      throw new Error('--reuse: no completed full run of the night databases to reuse');
    if (reused === null) {
      await seedDemoClinic(admin, { scale, seed: 3, database: NIGHT.source, replaceForeign: true });
      await admin.execute(`DROP DATABASE IF EXISTS ${quoteMysql(NIGHT.replica)}`);
      await pgAdmin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [NIGHT.analytics],
      );
      await pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(NIGHT.analytics)}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'etl-night-'));
    writeFileSync(
      join(dir, 'pipeline.yml'),
      `connections:\n  source: { database: ${NIGHT.source} }\n  replication: { database: ${NIGHT.replica} }\n  analytics: { database: ${NIGHT.analytics} }\ngeneral: { parallel_jobs: 2 }\n`,
    );
    const config = loadConfig({ path: join(dir, 'pipeline.yml'), env: {} });
    const quiet = plainProgress(() => {});
    let fullSeconds = reused ?? 0;
    if (reused === null) {
      const t0 = process.hrtime.bigint();
      if ((await runLocalPipeline(config, { parallel: 2 }, quiet, join(dir, 'logs'))) !== 0)
        throw new Error('full run failed');
      fullSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    }

    await admin.execute(`USE ${quoteMysql(NIGHT.source)}`);
    await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
    let changedRows = 0;
    for (const [table, key, edit, stamp] of DAY) {
      const [row] = await admin.queryArrays(
        `SELECT COUNT(*), MAX(${quoteMysql(key)}) FROM ${quoteMysql(table)}`,
      );
      const [count, max] = [Number(row?.[0]), Number(row?.[1])];
      const share = Math.max(1, Math.round(count * 0.005));
      const third = Math.max(1, Math.floor(share / 3));
      // Inserts: copies of existing rows under new keys; updates and deletes on spread keys.
      const columns = (
        await admin.queryArrays(
          'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
          [NIGHT.source, table],
        )
      ).map((c) => String(c[0]));
      const list = columns
        .map((c) =>
          c === key ? `${quoteMysql(c)} + ${max}` : c === stamp ? 'NOW()' : quoteMysql(c),
        )
        .join(', ');
      await admin.execute(
        `INSERT INTO ${quoteMysql(table)} SELECT ${list} FROM ${quoteMysql(table)} WHERE ${quoteMysql(key)} <= ?`,
        [third],
      );
      if (edit)
        await admin.execute(
          `UPDATE ${quoteMysql(table)} SET ${edit} WHERE ${quoteMysql(key)} % ? = 1 LIMIT ?`,
          [Math.max(2, Math.floor(count / third)), third],
        );
      if (table !== 'securitylog') {
        await admin.execute(
          `DELETE FROM ${quoteMysql(table)} WHERE ${quoteMysql(key)} % ? = 2 LIMIT ?`,
          [Math.max(3, Math.floor(count / third)), third],
        );
      }
      changedRows += third * (edit ? (table === 'securitylog' ? 1 : 3) : 1);
    }
    const t1 = process.hrtime.bigint();
    if ((await runLocalPipeline(config, { parallel: 2 }, quiet, join(dir, 'logs'))) !== 0)
      throw new Error('incremental run failed');
    const incrementalSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const ratio = incrementalSeconds / fullSeconds;
    // Not timed: the incremental run must also be right.
    const differing = (await verifyPipeline(config.pipeline)).filter((r) => !r.ok);
    if (differing.length > 0)
      throw new Error(
        `after the incremental run, ${differing.map((r) => r.table).join(', ')} differ`,
      );
    console.log(
      `night (${scale}): full ${fullSeconds.toFixed(1)} s${reused === null ? '' : ' (recorded first run, reused)'}, incremental after ~0.5 % changes (${changedRows.toLocaleString('en-US')} rows) ${incrementalSeconds.toFixed(1)} s, ratio ${(ratio * 100).toFixed(1)} %`,
    );
    return { fullSeconds, incrementalSeconds, ratio, changedRows };
  } finally {
    await admins.close();
  }
}

/**
 * `--reuse`: another night on the clinic a previous night bench left (no seed, no full run); the
 * full-run time is that bench's first run, as recorded in etl_meta.runs.
 */
async function recordedFullRun(): Promise<number | null> {
  const pg = await openPg({ ...LOCAL_PG, database: NIGHT.analytics }, { label: 'bench' }).catch(
    () => null,
  );
  if (!pg) return null;
  try {
    const [run] = await pg.query<{ s: string }>(
      `SELECT extract(epoch FROM finished_at - started_at)::text AS s FROM etl_meta.runs
        WHERE status = 'succeeded' ORDER BY started_at LIMIT 1`,
    );
    return run ? Number(run.s) : null;
  } finally {
    await pg.close();
  }
}
