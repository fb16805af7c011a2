import { createHash } from 'node:crypto';
import { IDENTIFIER } from '../../config/schema';
import { quotePg } from '../db/identifiers';
import { oncePerSession } from '../db/once-per-session';
import type { PgSession } from '../db/ports';
import { UnknownTableError, ValidationError } from '../errors';
import { ensureLoadMeta, pgTransaction, RAW_CHANGELOG, withDdlLock } from '../load/load-state';
import type { Logger } from '../logging/logger';
import { ensureEnumLookup } from './enum-lookup';
import { type PublicColumn, publicColumns, type RawCatalogColumn } from './public-columns';

export interface TransformDeps {
  analytics: PgSession;
  schemas: { raw: string; public: string; meta: string };
  /** `transform.column_names` overrides: table → MySQL column name → public name. */
  columnNames?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  logger: Logger;
}

export interface TransformInput {
  runId: string;
  table: string;
  mode: 'incremental' | 'full';
}

export interface TransformResult {
  table: string;
  mode: 'full' | 'incremental';
  fullReason: string | null;
  rowsWritten: number;
  rowsUpserted: number;
  rowsDeleted: number;
  changes: number;
  durationMs: number;
  cursor: string;
}

/**
 * Transform one raw table into its public twin: OpenDental's meaning applied (booleans, no-dates,
 * tick durations, enum labels, snake_case names, comments). A full build goes into a shadow table
 * swapped in one transaction; otherwise raw's change log past this table's cursor is applied
 * (upserts only where values differ, deletes), cursor advanced in the same transaction.
 */
export async function transformTable(
  deps: TransformDeps,
  input: TransformInput,
): Promise<TransformResult> {
  const started = Date.now();
  const table = input.table.toLowerCase();
  if (!IDENTIFIER.test(table)) {
    throw new UnknownTableError('not a valid table name', {
      table: table.slice(0, 64),
      stage: 'transform',
    });
  }
  const pg = deps.analytics;
  const { raw, public: pub, meta } = deps.schemas;
  const context = { table, stage: 'transform' as const };
  const log = deps.logger.child({ table, stage: 'transform', runId: input.runId });
  const rawColumns = await catalogColumns(pg, raw, table);
  if (rawColumns.length === 0) throw new UnknownTableError('table does not exist in raw', context);
  const primaryKey = await primaryKeyOf(pg, raw, table);
  const columns = publicColumns(table, rawColumns, primaryKey, deps.columnNames?.[table] ?? {});

  await ensureTransformMeta(pg, deps.schemas);
  await ensureEnumLookup(pg, pub);
  const [state] = await pg.query<{ cursor: string }>(
    `SELECT cursor::text AS cursor FROM ${quotePg(meta)}.transform_state WHERE table_name = $1`,
    [table],
  );
  const [head] = await pg.query<{ seq: string }>(
    `SELECT COALESCE(max(seq), 0)::text AS seq FROM ${quotePg(meta)}.${RAW_CHANGELOG} WHERE table_name = $1`,
    [table],
  );
  const headSeq = head?.seq ?? '0';
  const cursor = state?.cursor ?? '0';
  const [marker] = await pg.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${quotePg(meta)}.${RAW_CHANGELOG} WHERE table_name = $1 AND op = 'F' AND seq > $2 AND seq <= $3`,
    [table, cursor, headSeq],
  );
  const existing = (await catalogColumns(pg, pub, table)).map((c) => c.name);

  let fullReason: string | null = null;
  if (input.mode === 'full') fullReason = 'full transform requested (--force)';
  else if (existing.length === 0) fullReason = 'first transform of this table';
  else if (!state) fullReason = 'no transform state yet';
  else if (JSON.stringify(existing) !== JSON.stringify(columns.map((c) => c.name)))
    fullReason = 'raw columns changed';
  else if (Number(marker?.n) > 0) fullReason = 'raw was fully reloaded';
  else if (primaryKey.length !== 1) fullReason = 'no single-column primary key';

  const result: TransformResult = {
    table,
    mode: fullReason ? 'full' : 'incremental',
    fullReason,
    rowsWritten: 0,
    rowsUpserted: 0,
    rowsDeleted: 0,
    changes: 0,
    durationMs: 0,
    cursor: headSeq,
  };
  const saveCursor = () =>
    pg.query(
      `INSERT INTO ${quotePg(meta)}.transform_state (table_name, cursor, last_run_id, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (table_name) DO UPDATE SET cursor = EXCLUDED.cursor, last_run_id = EXCLUDED.last_run_id, updated_at = now()`,
      [table, headSeq, input.runId],
    );

  if (fullReason) {
    log.info('full transform', { reason: fullReason });
    result.rowsWritten = await fullBuild(pg, deps.schemas, table, columns, primaryKey, saveCursor);
  } else {
    await pgTransaction(pg, async () => {
      await applyRawChanges(pg, deps.schemas, table, columns, cursor, headSeq, result);
      await saveCursor();
    });
  }

  const [counts] = await pg.query<{ r: string; p: string }>(
    `SELECT (SELECT count(*) FROM ${quotePg(raw)}.${quotePg(table)})::text AS r, (SELECT count(*) FROM ${quotePg(pub)}.${quotePg(table)})::text AS p`,
  );
  if (counts?.r !== counts?.p)
    throw new ValidationError(`public has ${counts?.p} rows, raw ${counts?.r}`, context);
  await pg.query(
    `DELETE FROM ${quotePg(meta)}.${RAW_CHANGELOG} WHERE table_name = $1 AND seq <= $2`,
    [table, headSeq],
  );
  result.durationMs = Date.now() - started;
  log.info('transformed', {
    mode: result.mode,
    written: result.rowsWritten,
    upserted: result.rowsUpserted,
    deleted: result.rowsDeleted,
    ms: result.durationMs,
  });
  return result;
}

async function fullBuild(
  pg: PgSession,
  schemas: TransformDeps['schemas'],
  table: string,
  columns: readonly PublicColumn[],
  primaryKey: readonly string[],
  inSwapTransaction: () => Promise<unknown>,
): Promise<number> {
  const pub = quotePg(schemas.public);
  const shadow = `_etl_new_${table}`.slice(0, 63);
  await pg.query(`DROP TABLE IF EXISTS ${pub}.${quotePg(shadow)}`);
  await pg.query(
    `CREATE TABLE ${pub}.${quotePg(shadow)} AS SELECT ${columns.map((c) => `${c.expression} AS ${quotePg(c.name)}`).join(', ')}
       FROM ${quotePg(schemas.raw)}.${quotePg(table)} r`,
  );
  const [written] = await pg.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${pub}.${quotePg(shadow)}`,
  );
  const key = columns.filter((c) => c.isKey).map((c) => quotePg(c.name));
  if (key.length > 0 && key.length === primaryKey.length) {
    await pg.query(
      `ALTER TABLE ${pub}.${quotePg(shadow)} ADD CONSTRAINT ${quotePg(`${shadow}_pkey`)} PRIMARY KEY (${key.join(', ')})`,
    );
  }
  // Reference columns (`*_num`) are what analysts join on: index them.
  const references = columns.filter((c) => !c.isKey && /_num$/.test(c.name));
  for (const c of references) {
    await pg.query(
      `CREATE INDEX ${quotePg(indexName(shadow, c.name))} ON ${pub}.${quotePg(shadow)} (${quotePg(c.name)})`,
    );
  }
  await pg.query(
    `COMMENT ON TABLE ${pub}.${quotePg(shadow)} IS ${literal(`OpenDental table ${table}, built from raw.${table} with OpenDental's meaning applied (see docs/transform.md).`)}`,
  );
  for (const c of columns) {
    await pg.query(
      `COMMENT ON COLUMN ${pub}.${quotePg(shadow)}.${quotePg(c.name)} IS ${literal(c.comment)}`,
    );
  }
  await pgTransaction(pg, async () => {
    await pg.query(`DROP TABLE IF EXISTS ${pub}.${quotePg(table)}`);
    await pg.query(`ALTER TABLE ${pub}.${quotePg(shadow)} RENAME TO ${quotePg(table)}`);
    if (key.length > 0 && key.length === primaryKey.length) {
      await pg.query(
        `ALTER TABLE ${pub}.${quotePg(table)} RENAME CONSTRAINT ${quotePg(`${shadow}_pkey`)} TO ${quotePg(`${table}_pkey`)}`,
      );
    }
    for (const c of references) {
      await pg.query(
        `ALTER INDEX ${pub}.${quotePg(indexName(shadow, c.name))} RENAME TO ${quotePg(indexName(table, c.name))}`,
      );
    }
    await inSwapTransaction();
  });
  return Number(written?.n ?? 0);
}

const ENTRIES_PER_BATCH = 10_000;

async function applyRawChanges(
  pg: PgSession,
  schemas: TransformDeps['schemas'],
  table: string,
  columns: readonly PublicColumn[],
  cursor: string,
  head: string,
  result: TransformResult,
): Promise<void> {
  const key = columns.find((c) => c.isKey) as PublicColumn;
  const [keyType] = await pg.query<{ t: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3`,
    [schemas.public, table, key.name],
  );
  const pub = `${quotePg(schemas.public)}.${quotePg(table)}`;
  const rawTable = `${quotePg(schemas.raw)}.${quotePg(table)}`;
  const names = columns.map((c) => quotePg(c.name));
  const data = columns.filter((c) => !c.name.startsWith('_etl_')).map((c) => quotePg(c.name));
  const updates = names.filter((n) => n !== quotePg(key.name)).map((n) => `${n} = EXCLUDED.${n}`);
  const keys = `$1::text[]::${keyType?.t ?? 'bigint'}[]`;
  let after = cursor;
  for (;;) {
    const entries = await pg.query<{ seq: string; op: string; pk: string | null }>(
      `SELECT seq::text AS seq, op, pk FROM ${quotePg(schemas.meta)}.${RAW_CHANGELOG}
        WHERE table_name = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT ${ENTRIES_PER_BATCH}`,
      [table, after, head],
    );
    if (entries.length === 0) return;
    result.changes += entries.length;
    after = entries[entries.length - 1]?.seq ?? after;
    const last = new Map<string, string>();
    for (const e of entries) if (e.pk !== null) last.set(e.pk, e.op);
    const upserts = [...last].filter(([, op]) => op === 'U').map(([k]) => k);
    const deletes = [...last].filter(([, op]) => op === 'D').map(([k]) => k);
    if (upserts.length > 0) {
      const [upserted] = await pg.query<{ n: string }>(
        `WITH changed AS (
           INSERT INTO ${pub} AS p (${names.join(', ')})
           SELECT ${columns.map((c) => c.expression).join(', ')} FROM ${rawTable} r WHERE r.${quotePg(key.raw)} = ANY(${keys})
           ON CONFLICT (${quotePg(key.name)}) DO UPDATE SET ${updates.join(', ')}
           WHERE (${data.map((n) => `p.${n}`).join(', ')}) IS DISTINCT FROM (${data.map((n) => `EXCLUDED.${n}`).join(', ')})
           RETURNING 1)
         SELECT count(*)::text AS n FROM changed`,
        [upserts],
      );
      result.rowsUpserted += Number(upserted?.n ?? 0);
      // A key logged as upserted whose raw row is gone now was deleted since.
      deletes.push(...upserts);
    }
    if (deletes.length > 0) {
      const [deleted] = await pg.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${pub} p WHERE p.${quotePg(key.name)} = ANY(${keys})
           AND NOT EXISTS (SELECT 1 FROM ${rawTable} r WHERE r.${quotePg(key.raw)} = p.${quotePg(key.name)}) RETURNING 1)
         SELECT count(*)::text AS n FROM gone`,
        [deletes],
      );
      result.rowsDeleted += Number(deleted?.n ?? 0);
    }
    if (entries.length < ENTRIES_PER_BATCH) return;
  }
}

async function ensureTransformMeta(
  pg: PgSession,
  schemas: TransformDeps['schemas'],
): Promise<void> {
  const { meta, public: pub } = schemas;
  await ensureLoadMeta(pg, meta, schemas.raw);
  await oncePerSession(pg, `transform-meta:${meta}:${pub}`, () =>
    withDdlLock(pg, () => createTransformMeta(pg, meta, pub)),
  );
}

async function createTransformMeta(pg: PgSession, meta: string, pub: string): Promise<void> {
  await pg.query(`CREATE SCHEMA IF NOT EXISTS ${quotePg(pub)}`);
  await pg.query(
    `CREATE TABLE IF NOT EXISTS ${quotePg(meta)}.transform_state (
       table_name text PRIMARY KEY, cursor bigint NOT NULL, last_run_id text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
}

async function catalogColumns(
  pg: PgSession,
  schema: string,
  table: string,
): Promise<RawCatalogColumn[]> {
  return pg.query<RawCatalogColumn>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, col_description(c.oid, a.attnum) AS comment
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [schema, table],
  );
}

async function primaryKeyOf(pg: PgSession, schema: string, table: string): Promise<string[]> {
  const rows = await pg.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
      WHERE i.indisprimary AND n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}

function indexName(table: string, column: string): string {
  const name = `${table}_${column}_idx`;
  return name.length <= 63
    ? name
    : `${name.slice(0, 50)}_${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
