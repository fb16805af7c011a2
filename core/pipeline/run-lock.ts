import type { PipelineConfig } from '../../config/schema';
import { RunInProgressError } from '../../contract/errors';
import type { RunnerKind } from '../../contract/stage';
import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { pgTransaction } from '../db/transactions';

/**
 * How long a run may last, in minutes: `aws.max_run_minutes`. It is both the state machine's
 * timeout (the execution ends `TimedOut` then, and its Fargate tasks are stopped) and the run
 * lock's lease. The lease is claimed by the Plan step, after the execution started, so it always
 * outlives the execution it belongs to: the next run cannot start beside a live one.
 */
export function runDeadlineMinutes(config: Pick<PipelineConfig, 'aws'>): number {
  return config.aws.max_run_minutes;
}

/**
 * The run lock, in the analytics database (the one place every runner shares). The Plan step
 * claims the run: under a transaction-scoped advisory lock it looks for another run still
 * `running` and younger than its lease (`runDeadlineMinutes`); if there is one it refuses with
 * RunInProgressError before anything is written, otherwise it records its own run as running.
 * `finishRun` (the Summarize step) releases it. A run that died without a summary holds the lock
 * until its lease ends; locally `holdLocalRunLock` frees it at once (see there).
 */
export async function claimRun(
  pg: PgSession,
  meta: string,
  claim: {
    runId: string;
    tables: number;
    input: Record<string, unknown>;
    runner: RunnerKind;
    leaseMinutes: number;
  },
): Promise<void> {
  const runs = `${quotePg(meta)}.runs`;
  await pgTransaction(pg, async () => {
    await pg.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`etl-run:${meta}`]);
    const [other] = await pg.query<{ run_id: string; started_at: string; runner: string | null }>(
      `SELECT run_id, started_at::text AS started_at, runner FROM ${runs}
        WHERE status = 'running' AND run_id <> $1 AND started_at > now() - make_interval(mins => $2)
        ORDER BY started_at DESC LIMIT 1`,
      [claim.runId, claim.leaseMinutes],
    );
    if (other) {
      throw new RunInProgressError(
        `run ${other.run_id} (${other.runner ?? 'unknown'} runner, started ${other.started_at}) is still in progress; this run was not started and wrote nothing. Wait for it to finish (etl-pipeline status).`,
        { stage: 'plan' },
      );
    }
    await pg.query(
      `INSERT INTO ${runs} (run_id, tables_total, input, runner) VALUES ($1, $2, $3, $4)
       ON CONFLICT (run_id) DO UPDATE SET tables_total = EXCLUDED.tables_total, input = EXCLUDED.input,
         runner = EXCLUDED.runner, status = 'running', started_at = now(), finished_at = NULL`,
      [claim.runId, claim.tables, JSON.stringify(claim.input), claim.runner],
    );
  });
}

/**
 * A local run also holds a session-level advisory lock for its whole length. PostgreSQL drops it
 * when the process ends, however it ends, so: if it is free, no local run is alive, and a local
 * run still marked `running` was killed; it is marked `interrupted`, and the lock is free at once.
 * If it is taken, another local run is in progress: RunInProgressError. Returns the release.
 */
export async function holdLocalRunLock(
  pg: PgSession,
  meta: string,
): Promise<{ release: () => Promise<void>; interrupted: string[] }> {
  const key = `etl-local-run:${meta}`;
  const [got] = await pg.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
    key,
  ]);
  if (!got?.ok) {
    throw new RunInProgressError(
      'another local run is in progress on this analytics database; this run was not started and wrote nothing',
      { stage: 'plan' },
    );
  }
  const rows = await pg.query<{ run_id: string }>(
    `UPDATE ${quotePg(meta)}.runs SET status = 'interrupted', finished_at = now()
      WHERE status = 'running' AND runner = 'local' RETURNING run_id`,
  );
  return {
    interrupted: rows.map((r) => r.run_id),
    release: async () => {
      await pg.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    },
  };
}
