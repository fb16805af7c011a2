import { quotePg } from '../db/identifiers';
import { oncePerSession } from '../db/once-per-session';
import type { PgSession } from '../db/ports';

/**
 * The load's cursor per table, in `etl_meta.load_state` of the analytics database: the last
 * replica change-log `seq` applied to raw. It is updated in the transaction that changed raw.
 */
/**
 * `etl_meta.raw_changelog`: raw's own change tracking for the transform stage, written by the
 * load in the transaction that changed raw: `U` for each key whose row was inserted or actually
 * changed, `D` for each deleted key, `F` after a full load.
 */
export const RAW_CHANGELOG = 'raw_changelog';

export interface LoadState {
  table_name: string;
  cursor: string;
  last_run_id: string;
}

/**
 * Runs schema set-up under a transaction-scoped advisory lock: two stages creating the same
 * schema or table at once would otherwise race (CREATE … IF NOT EXISTS is not concurrency-safe
 * in PostgreSQL).
 */
export async function withDdlLock<T>(pg: PgSession, work: () => Promise<T>): Promise<T> {
  return pgTransaction(pg, async () => {
    await pg.query("SELECT pg_advisory_xact_lock(hashtext('etl-pipeline ddl'))");
    return work();
  });
}

export async function ensureLoadMeta(pg: PgSession, meta: string, raw: string): Promise<void> {
  await oncePerSession(pg, `load-meta:${meta}:${raw}`, () =>
    withDdlLock(pg, () => createLoadMeta(pg, meta, raw)),
  );
}

async function createLoadMeta(pg: PgSession, meta: string, raw: string): Promise<void> {
  await pg.query(`CREATE SCHEMA IF NOT EXISTS ${quotePg(meta)}`);
  await pg.query(`CREATE SCHEMA IF NOT EXISTS ${quotePg(raw)}`);
  await pg.query(
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.load_state (
       table_name text PRIMARY KEY,
       cursor bigint NOT NULL,
       last_run_id text NOT NULL,
       full_loaded_at timestamptz,
       updated_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  await pg.query(
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.${RAW_CHANGELOG} (
       seq bigserial PRIMARY KEY,
       table_name text NOT NULL,
       op char(1) NOT NULL,
       pk text,
       run_id text NOT NULL,
       logged_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  await pg.query(
    `CREATE INDEX IF NOT EXISTS raw_changelog_table_seq ON ${quotePg(meta)}.${RAW_CHANGELOG} (table_name, seq)`,
  );
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

export async function pgTransaction<T>(pg: PgSession, work: () => Promise<T>): Promise<T> {
  await pg.query('BEGIN');
  try {
    const result = await work();
    await pg.query('COMMIT');
    return result;
  } catch (error) {
    await pg.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
