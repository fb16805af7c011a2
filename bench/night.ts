import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLocalPipeline } from '../cli/local-run';
import { plainProgress } from '../cli/progress';
import { loadConfig } from '../config/load-config';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openPg } from '../core/db/pg-adapter';
import type { Scale } from '../core/demo/scales';
import { seedBenchClinic } from './bench-clinic';
import { BENCH_PREFIX, LOCAL_PG, openAdmins } from './databases';
import {
  allowedDifferences,
  checkNight,
  describeDifferences,
  eventCounter,
  extractComparisons,
} from './night-check';
import { type DaySummary, simulateDay } from './night-day';

export interface NightResult {
  fullSeconds: number;
  incrementalSeconds: number;
  ratio: number;
  changedRows: number;
  day: string;
  events: ReturnType<typeof eventCounter>['counts'];
  extract: Record<string, number>;
}

/** Database names: `<BENCH_PREFIX>_night_*` (`$BENCH_NIGHT_PREFIX_*` when that older variable is set). */
const PREFIX = process.env.BENCH_NIGHT_PREFIX || `${BENCH_PREFIX}_night`;
const NIGHT = {
  source: `${PREFIX}_source`,
  replica: `${PREFIX}_replica`,
  analytics: `${PREFIX}_analytics`,
};

/**
 * The bench's day follows its full run within seconds, where a clinic's follows it by hours; the
 * `UPDATE_TIME` margin (the clock tolerance, 60 s by default) would count the full run's own
 * writes as the day's. The tolerance here is shorter than the seconds between the two runs and
 * still covers `UPDATE_TIME`'s one-second granularity.
 */
const BENCH_CLOCK_TOLERANCE_SECONDS = 5;

/**
 * The incremental night: the whole clinic through the local state machine (`--parallel 2`) in full,
 * then a realistic, hard day of changes (`night-day.ts`: about 0.5 % of the busy tables' rows and a
 * few rows of every other table, in every way a change can hide), then the incremental run.
 * Reports both times and their ratio, the run's execution events and how its extract compared
 * the tables, and verifies every table row for row (the error names the tables that differ).
 */
export async function benchNight(
  scale: Scale,
  options: { reuse?: boolean } = {},
): Promise<NightResult> {
  const admins = await openAdmins();
  const admin = admins.mysql;
  const pgAdmin = admins.pg;
  try {
    const reused = options.reuse ? await recordedFullRun() : null;
    if (options.reuse && reused === null)
      throw new Error('--reuse: no completed full run of the night databases to reuse');
    if (reused === null) {
      await seedBenchClinic(admin, scale, NIGHT.source);
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
      `connections:\n  source: { database: ${NIGHT.source} }\n  replication: { database: ${NIGHT.replica} }\n  analytics: { database: ${NIGHT.analytics} }\ngeneral: { parallel_jobs: 2 }\nstages: { extract: { verification: { clock_tolerance_seconds: ${BENCH_CLOCK_TOLERANCE_SECONDS} } } }\n`,
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

    const day = await simulateDay(admin, NIGHT.source);
    const changedRows = day.rowsChanged;
    const events = eventCounter();
    const t1 = process.hrtime.bigint();
    if (
      (await runLocalPipeline(config, { parallel: 2 }, quiet, join(dir, 'logs'), {
        onEvent: events.onEvent,
      })) !== 0
    )
      throw new Error('incremental run failed');
    const incrementalSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    const ratio = incrementalSeconds / fullSeconds;
    console.log(
      `night (${scale}): full ${fullSeconds.toFixed(1)} s${reused === null ? '' : ' (recorded first run, reused)'}, incremental after a day of ${changedRows.toLocaleString('en-US')} changed rows in ${day.tablesChanged} tables ${incrementalSeconds.toFixed(1)} s, ratio ${(ratio * 100).toFixed(1)} %`,
    );
    console.log(`the day: ${describeDay(day)}`);
    console.log(
      `incremental run: ${events.counts.events} execution events, ${events.counts.stateTransitions} state transitions (${Object.entries(
        events.counts.byType,
      )
        .map(([type, n]) => `${type} ${n}`)
        .join(', ')})`,
    );
    const compared = await extractComparisons(config.pipeline);
    console.log(
      `extract compared ${compared.tables} tables: ${Object.entries(compared.byKind)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')}`,
    );
    // Not timed: the incremental run must also be right, every table row for row.
    const t2 = process.hrtime.bigint();
    const check = await checkNight(config.pipeline);
    const checkSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
    const unstampedEdits = (['keptStamp', 'appendEdit', 'noChangeColumnEdit'] as const).flatMap(
      (kind) => day.changes[kind].tables,
    );
    const { allowed, other } = allowedDifferences(
      check.differences,
      compared.rolling,
      unstampedEdits,
    );
    const differing = Object.keys(other);
    console.log(
      `verified ${check.tables} tables row for row (source = replica by counts and range checksums, replica = raw = public by every value) in ${checkSeconds.toFixed(1)} s: ${differing.length} differ`,
    );
    const waiting = Object.keys(allowed);
    if (waiting.length > 0)
      console.log(
        `allowed: ${waiting.length} tables over the size threshold still differ in rows edited without touching a change column, found by their rolling cycle within their bound: ${waiting.map((t) => `${t} (${compared.rolling[t]} nights)`).join(', ')}`,
      );
    if (differing.length > 0)
      throw new Error(
        `after the incremental run, ${differing.length} of ${check.tables} tables differ:\n${describeDifferences(other)}`,
      );
    const summary = {
      fullSeconds,
      incrementalSeconds,
      ratio,
      changedRows,
      day: describeDay(day),
      events: events.counts,
      extract: compared.byKind,
    };
    return summary;
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

/** "stampedInsert 45 rows in 45 tables, …": counts only. */
export function describeDay(day: DaySummary): string {
  return Object.entries(day.changes)
    .filter(([, c]) => c.rows > 0)
    .map(([kind, c]) => `${kind} ${c.rows} rows in ${c.tables.length} tables`)
    .join(', ');
}
