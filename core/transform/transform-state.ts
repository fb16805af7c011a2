import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { setUpOnce } from '../db/schema-setup';
import { ensureRawChangeLog } from '../handoff/raw-change-log';

/**
 * The transform's cursor per table, in `etl_meta.transform_state`: the last raw change-log `seq`
 * applied to public, moved in the transaction that changed public.
 */
export async function ensureTransformMeta(
  pg: PgSession,
  schemas: { public: string; meta: string },
): Promise<void> {
  const { meta, public: pub } = schemas;
  await ensureRawChangeLog(pg, meta);
  await setUpOnce(pg, `transform-meta:${meta}:${pub}`, [
    `CREATE SCHEMA IF NOT EXISTS ${quotePg(pub)}`,
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.transform_state (
       table_name text PRIMARY KEY, cursor bigint NOT NULL, last_run_id text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  ]);
}

export async function readTransformCursor(
  pg: PgSession,
  meta: string,
  table: string,
): Promise<string | null> {
  const [state] = await pg.query<{ cursor: string }>(
    `SELECT cursor::text AS cursor FROM ${quotePg(meta)}.transform_state WHERE table_name = $1`,
    [table],
  );
  return state?.cursor ?? null;
}

/** Call inside the transaction that changed public. */
export async function writeTransformCursor(
  pg: PgSession,
  meta: string,
  state: { table: string; cursor: string; runId: string },
): Promise<void> {
  await pg.query(
    `INSERT INTO ${quotePg(meta)}.transform_state (table_name, cursor, last_run_id, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (table_name) DO UPDATE SET cursor = EXCLUDED.cursor, last_run_id = EXCLUDED.last_run_id, updated_at = now()`,
    [state.table, state.cursor, state.runId],
  );
}
