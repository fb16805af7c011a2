import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { setUpOnce } from '../db/schema-setup';
import { ensureRawChangeLog } from '../handoff/raw-change-log';

/**
 * The load's cursor per table, in `etl_meta.load_state` of the analytics database: the last
 * replica change-log `seq` applied to raw. It is updated in the transaction that changed raw.
 */
export interface LoadState {
  table_name: string;
  cursor: string;
  last_run_id: string;
}

/** Schemas `meta` and `raw`, the load state and raw's change log. */
export async function ensureLoadMeta(pg: PgSession, meta: string, raw: string): Promise<void> {
  await ensureRawChangeLog(pg, meta);
  await setUpOnce(pg, `load-meta:${meta}:${raw}`, [
    `CREATE SCHEMA IF NOT EXISTS ${quotePg(raw)}`,
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.load_state (
       table_name text PRIMARY KEY,
       cursor bigint NOT NULL,
       last_run_id text NOT NULL,
       full_loaded_at timestamptz,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
  ]);
}

export async function readLoadState(
  pg: PgSession,
  meta: string,
  table: string,
): Promise<LoadState | null> {
  const [row] = await pg.query<LoadState>(
    `SELECT table_name, cursor::text AS cursor, last_run_id FROM ${quotePg(meta)}.load_state WHERE table_name = $1`,
    [table],
  );
  return row ?? null;
}

/** Call inside the transaction that changed raw. */
export async function writeLoadState(
  pg: PgSession,
  meta: string,
  state: LoadState,
  full: boolean,
): Promise<void> {
  await pg.query(
    `INSERT INTO ${quotePg(meta)}.load_state (table_name, cursor, last_run_id, full_loaded_at, updated_at)
     VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END, now())
     ON CONFLICT (table_name) DO UPDATE SET cursor = EXCLUDED.cursor, last_run_id = EXCLUDED.last_run_id,
       full_loaded_at = COALESCE(EXCLUDED.full_loaded_at, ${quotePg(meta)}.load_state.full_loaded_at),
       updated_at = now()`,
    [state.table_name, state.cursor, state.last_run_id, full],
  );
}
