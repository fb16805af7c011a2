import type { RunSummary, StageName } from '../../contract/stage';
import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { setUpOnce } from '../db/schema-setup';

/**
 * Run history in `etl_meta` of the analytics database: one row per run, one per table and stage.
 * Counts, durations, statuses and error classes only: never a row value.
 */
export interface StageRecord {
  runId: string;
  table: string;
  stage: StageName;
  status: 'succeeded' | 'failed';
  rows: number;
  durationMs: number;
  errorClass: string | null;
  /** The stage's small JSON result (counts only). */
  detail: Record<string, unknown>;
}

export async function ensureRunHistory(pg: PgSession, meta: string): Promise<void> {
  await setUpOnce(pg, `run-history:${meta}`, [
    `CREATE SCHEMA IF NOT EXISTS ${quotePg(meta)}`,
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.runs (
       run_id text PRIMARY KEY,
       started_at timestamptz NOT NULL DEFAULT now(),
       finished_at timestamptz,
       status text NOT NULL DEFAULT 'running',
       tables_total integer NOT NULL DEFAULT 0,
       tables_failed integer NOT NULL DEFAULT 0,
       input jsonb NOT NULL DEFAULT '{}'::jsonb
     )`,
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.stage_results (
       run_id text NOT NULL,
       table_name text NOT NULL,
       stage text NOT NULL,
       status text NOT NULL,
       rows bigint NOT NULL DEFAULT 0,
       duration_ms bigint NOT NULL DEFAULT 0,
       error_class text,
       detail jsonb NOT NULL DEFAULT '{}'::jsonb,
       recorded_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (run_id, table_name, stage)
     )`,
    // Which kind of runner a run belongs to (the run lock frees killed local runs at once).
    `ALTER TABLE ${quotePg(meta)}.runs ADD COLUMN IF NOT EXISTS runner text`,
  ]);
}

export async function recordStage(pg: PgSession, meta: string, record: StageRecord): Promise<void> {
  await pg.query(
    `INSERT INTO ${quotePg(meta)}.stage_results (run_id, table_name, stage, status, rows, duration_ms, error_class, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (run_id, table_name, stage) DO UPDATE SET status = EXCLUDED.status, rows = EXCLUDED.rows,
       duration_ms = EXCLUDED.duration_ms, error_class = EXCLUDED.error_class, detail = EXCLUDED.detail, recorded_at = now()`,
    [
      record.runId,
      record.table,
      record.stage,
      record.status,
      record.rows,
      record.durationMs,
      record.errorClass,
      JSON.stringify(record.detail),
    ],
  );
}

/** Closes a run: which tables failed (at which stage, with which error class) and the totals. */
export async function finishRun(
  pg: PgSession,
  meta: string,
  runId: string,
  failures: readonly { table: string; stage: string; errorClass: string }[],
): Promise<RunSummary> {
  const [totals] = await pg.query<{ rows: string; tables: string }>(
    `SELECT COALESCE(sum(rows), 0)::text AS rows, count(DISTINCT table_name)::text AS tables
       FROM ${quotePg(meta)}.stage_results WHERE run_id = $1`,
    [runId],
  );
  const [run] = await pg.query<{ tables_total: number }>(
    `SELECT tables_total FROM ${quotePg(meta)}.runs WHERE run_id = $1`,
    [runId],
  );
  const [compared] = await pg.query<{
    whole: string;
    rolling: string;
    skipped: string;
    repaired: string;
  }>(
    `SELECT count(*) FILTER (WHERE detail->'verification'->>'compared' = 'whole')::text AS whole,
            count(*) FILTER (WHERE detail->'verification'->>'compared' = 'rolling')::text AS rolling,
            count(*) FILTER (WHERE detail->'verification'->>'compared' = 'none')::text AS skipped,
            COALESCE(sum((detail->'verification'->>'repaired')::bigint), 0)::text AS repaired
       FROM ${quotePg(meta)}.stage_results
      WHERE run_id = $1 AND stage = 'extract' AND status = 'succeeded'`,
    [runId],
  );
  const failedTables = new Set(failures.map((f) => f.table));
  const total = Number(run?.tables_total ?? totals?.tables ?? 0);
  const status = failedTables.size > 0 ? 'failed' : 'succeeded';
  await pg.query(
    `UPDATE ${quotePg(meta)}.runs SET finished_at = now(), status = $2, tables_failed = $3 WHERE run_id = $1`,
    [runId, status, failedTables.size],
  );
  return {
    runId,
    status,
    tablesTotal: total,
    tablesSucceeded: total - failedTables.size,
    tablesFailed: failedTables.size,
    failed: [...failures],
    rows: Number(totals?.rows ?? 0),
    verification: {
      whole: Number(compared?.whole ?? 0),
      rolling: Number(compared?.rolling ?? 0),
      skipped: Number(compared?.skipped ?? 0),
      repairedRows: Number(compared?.repaired ?? 0),
    },
  };
}
