import { expect } from 'vitest';
import { openPg } from '../../../core/db/pg-adapter';
import { ensureRunHistory, finishRun } from '../../../core/pipeline/run-history';
import { claimRun } from '../../../core/pipeline/run-lock';
import { cli } from '../cli-child';
import { type FaultBench, TABLES } from '../fault-bench';
import { replicaBusyWith, waitFor } from '../probes';

/** The run lock: a second run refuses while another holds the analytics database. */

/** A run claimed by another (AWS) run in the run history. */
export async function refuseWhileAnotherRunHoldsAnalytics(bench: FaultBench): Promise<void> {
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
}

/** Two CLI runs at once. */
export async function refuseSecondLocalRun(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  const first = cli(bench, ['run', '--config', 'pipeline.yml', '--force', '--tables', ...TABLES]);
  await waitFor(
    () => replicaBusyWith(bench, 'procedurelog'),
    60_000,
    'the first run to be working',
  );
  const second = await cli(bench, ['run', '--config', 'pipeline.yml', '--tables', ...TABLES]).done;
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
}
