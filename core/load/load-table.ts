import { IDENTIFIER } from '../../config/schema';
import { quoteMysql, quotePg } from '../db/identifiers';
import type { MysqlSession, PgSession } from '../db/ports';
import { type DiscoveredTable, discoverSchema } from '../discovery/discover-schema';
import { UnknownTableError, ValidationError } from '../errors';
import { CHANGELOG_TABLE } from '../extract/change-log';
import { keyColumn } from '../extract/row-sql';
import { countRows, readByKeys, readChunks } from '../extract/source-reader';
import type { Logger } from '../logging/logger';
import type { Conversions } from './copy-encoder';
import { copyRows } from './copy-writer';
import {
  ensureLoadMeta,
  pgTransaction,
  RAW_CHANGELOG,
  readLoadState,
  writeLoadState,
} from './load-state';
import { createRawTable, planRawSchema, readRawColumns } from './raw-schema';
import { ETL_COLUMNS, mapColumns, type RawColumn } from './type-mapping';

export interface LoadDeps {
  /** Session on the replica (reads rows and the change log; prunes applied log entries). */
  replica: MysqlSession;
  analytics: PgSession;
  replicaDatabase: string;
  schemas: { raw: string; meta: string };
  settings: { batchSize: number };
  logger: Logger;
}

export interface LoadInput {
  runId: string;
  table: string;
  /** `full` reloads raw from the replica through the shadow swap. */
  mode: 'incremental' | 'full';
}

export interface LoadResult {
  table: string;
  mode: 'full' | 'incremental';
  fullLoadReason: string | null;
  schemaChange: { action: 'none' | 'create' | 'add' | 'reload'; detail: string | null };
  rowsCopied: number;
  rowsUpserted: number;
  rowsDeleted: number;
  /** Change-log entries applied. */
  changes: number;
  conversions: Conversions;
  bytes: number;
  durationMs: number;
  /** Last change-log `seq` applied. */
  cursor: string;
}

/**
 * Load one table from the replica into schema `raw`: a full load (COPY into a shadow, key built,
 * swapped in one transaction) or the replica change log applied past this table's cursor
 * (changed rows COPYed into a staging table, upserted only where values differ, deleted keys
 * removed, cursor advanced: one transaction).
 */
export async function loadTable(deps: LoadDeps, input: LoadInput): Promise<LoadResult> {
  const started = Date.now();
  if (!IDENTIFIER.test(input.table)) {
    throw new UnknownTableError('not a valid table name', {
      table: input.table.slice(0, 64),
      stage: 'load',
    });
  }
  const { replica, analytics: pg } = deps;
  const { raw, meta } = deps.schemas;
  const context = { table: input.table, stage: 'load' as const };
  const log = deps.logger.child({ table: input.table, stage: 'load', runId: input.runId });
  const [table] = (await discoverSchema(replica, deps.replicaDatabase, [input.table])).tables;
  if (!table) throw new UnknownTableError('table does not exist in the replica', context);

  await ensureLoadMeta(pg, meta, raw);
  const name = table.name.toLowerCase();
  const columns = mapColumns(table.columns);
  const state = await readLoadState(pg, meta, name);
  const schema = planRawSchema(
    raw,
    name,
    columns,
    table.columns,
    await readRawColumns(pg, raw, name),
  );
  const [head] = await replica.queryArrays(
    `SELECT COALESCE(MAX(seq), 0) FROM ${CHANGELOG_TABLE} WHERE table_name = ?`,
    [table.name],
  );
  const headSeq = String(head?.[0] ?? '0');
  const cursor = state?.cursor ?? '0';
  const [marker] = await replica.queryArrays(
    `SELECT COUNT(*) FROM ${CHANGELOG_TABLE} WHERE table_name = ? AND op = 'F' AND seq > ? AND seq <= ?`,
    [table.name, cursor, headSeq],
  );

  let fullLoadReason: string | null = null;
  if (input.mode === 'full') fullLoadReason = 'full load requested (--force)';
  else if (schema.action === 'create') fullLoadReason = 'first load of this table';
  else if (schema.action === 'reload') fullLoadReason = `schema change: ${schema.reason}`;
  else if (!state) fullLoadReason = 'no load state yet';
  else if (Number(marker?.[0]) > 0) fullLoadReason = 'full-refresh marker in the change log';
  else if (!keyColumn(table)) fullLoadReason = 'no single-column primary key';

  const result: LoadResult = {
    table: table.name,
    mode: fullLoadReason ? 'full' : 'incremental',
    fullLoadReason,
    schemaChange: {
      action: schema.action,
      detail:
        schema.action === 'add'
          ? `columns added: ${schema.columns.join(', ')}`
          : schema.action === 'reload'
            ? schema.reason
            : null,
    },
    rowsCopied: 0,
    rowsUpserted: 0,
    rowsDeleted: 0,
    changes: 0,
    conversions: { zeroDateToNull: 0, nulStripped: 0 },
    bytes: 0,
    durationMs: 0,
    cursor: headSeq,
  };
  const trailing = [new Date().toISOString(), input.runId];

  if (fullLoadReason) {
    log.info('full load', { reason: fullLoadReason });
    const copied = await fullLoad(
      deps,
      table,
      name,
      columns,
      trailing,
      result.conversions,
      async () => {
        await writeLoadState(
          pg,
          meta,
          { table_name: name, cursor: headSeq, last_run_id: input.runId },
          true,
        );
      },
    );
    result.rowsCopied = copied.rows;
    result.bytes = copied.bytes;
  } else {
    await pgTransaction(pg, async () => {
      if (schema.action === 'add')
        for (const statement of schema.statements) await pg.query(statement);
      const applied = await applyChanges(
        deps,
        table,
        name,
        columns,
        trailing,
        cursor,
        headSeq,
        result,
      );
      result.changes = applied;
      await writeLoadState(
        pg,
        meta,
        { table_name: name, cursor: headSeq, last_run_id: input.runId },
        false,
      );
    });
  }

  // Validation gates: the same rows as the replica, and exactly the mapped columns (by name and
  // type; columns added later stand at the end of the raw table).
  const [rawCount] = await pg.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${quotePg(raw)}.${quotePg(name)}`,
  );
  const replicaCount = await countRows(replica, table.name);
  if (Number(rawCount?.n) !== replicaCount) {
    throw new ValidationError(`raw has ${rawCount?.n} rows, replica ${replicaCount}`, context);
  }
  const actual = (await readRawColumns(pg, raw, name)).map((c) => `${c.name} ${c.type}`).sort();
  const expected = [
    ...columns.map((c) => `${c.name} ${c.pgType}`),
    ...ETL_COLUMNS.map((c) => `${c.name} ${c.pgType}`),
  ].sort();
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    const extra = actual.filter((c) => !expected.includes(c));
    const missing = expected.filter((c) => !actual.includes(c));
    throw new ValidationError(
      `raw columns differ from the type mapping (unexpected: ${extra.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'})`,
      context,
    );
  }

  await pruneChangeLog(replica, table.name, headSeq);
  result.durationMs = Date.now() - started;
  log.info('loaded', {
    mode: result.mode,
    copied: result.rowsCopied,
    upserted: result.rowsUpserted,
    deleted: result.rowsDeleted,
    zeroDateToNull: result.conversions.zeroDateToNull,
    nulStripped: result.conversions.nulStripped,
    ms: result.durationMs,
  });
  return result;
}

async function fullLoad(
  deps: LoadDeps,
  table: DiscoveredTable,
  name: string,
  columns: readonly RawColumn[],
  trailing: readonly string[],
  conversions: Conversions,
  inSwapTransaction: () => Promise<void>,
): Promise<{ rows: number; bytes: number }> {
  const { analytics: pg } = deps;
  const raw = quotePg(deps.schemas.raw);
  const shadow = `_etl_new_${name}`.slice(0, 63);
  await pg.query(`DROP TABLE IF EXISTS ${raw}.${quotePg(shadow)}`);
  for (const statement of createRawTable(deps.schemas.raw, shadow, columns))
    await pg.query(statement);
  const columnList = [
    ...columns.map((c) => quotePg(c.name)),
    ...ETL_COLUMNS.map((c) => quotePg(c.name)),
  ].join(', ');
  const copied = await copyRows(
    pg,
    `COPY ${raw}.${quotePg(shadow)} (${columnList}) FROM STDIN`,
    columns,
    trailing,
    readChunks(deps.replica, table, { batchSize: deps.settings.batchSize }),
    conversions,
  );
  if (table.primaryKey.length > 0) {
    const key = table.primaryKey.map((k) => quotePg(k.toLowerCase())).join(', ');
    await pg.query(
      `ALTER TABLE ${raw}.${quotePg(shadow)} ADD CONSTRAINT ${quotePg(`${shadow}_pkey`)} PRIMARY KEY (${key})`,
    );
  }
  // Readers see the old table until the commit, then the new one: never a partial table.
  await pgTransaction(pg, async () => {
    await pg.query(`DROP TABLE IF EXISTS ${raw}.${quotePg(name)}`);
    await pg.query(`ALTER TABLE ${raw}.${quotePg(shadow)} RENAME TO ${quotePg(name)}`);
    if (table.primaryKey.length > 0) {
      await pg.query(
        `ALTER TABLE ${raw}.${quotePg(name)} RENAME CONSTRAINT ${quotePg(`${shadow}_pkey`)} TO ${quotePg(`${name}_pkey`)}`,
      );
    }
    await pg.query(
      `INSERT INTO ${quotePg(deps.schemas.meta)}.${RAW_CHANGELOG} (table_name, op, pk, run_id) VALUES ($1, 'F', NULL, $2)`,
      [name, trailing[1]],
    );
    await inSwapTransaction();
  });
  return copied;
}

const ENTRIES_PER_BATCH = 10_000;

/** Applies change-log entries (cursor, head] in seq order, batch by batch; inside the caller's transaction. */
async function applyChanges(
  deps: LoadDeps,
  table: DiscoveredTable,
  name: string,
  columns: readonly RawColumn[],
  trailing: readonly string[],
  cursor: string,
  head: string,
  result: LoadResult,
): Promise<number> {
  const { replica, analytics: pg } = deps;
  const raw = `${quotePg(deps.schemas.raw)}.${quotePg(name)}`;
  const key = keyColumn(table) as string;
  const keyColumnRaw = columns.find((c) => c.source === key) as RawColumn;
  const stage = quotePg(`_etl_stage_${name}`.slice(0, 63));
  const rawLog = `${quotePg(deps.schemas.meta)}.${RAW_CHANGELOG}`;
  await pg.query(`CREATE TEMP TABLE ${stage} (LIKE ${raw}) ON COMMIT DROP`);
  const data = columns.map((c) => quotePg(c.name));
  const all = [...data, ...ETL_COLUMNS.map((c) => quotePg(c.name))];
  const updates = all
    .filter((c) => c !== quotePg(keyColumnRaw.name))
    .map((c) => `${c} = EXCLUDED.${c}`);
  const changed = `(${data.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${data.map((c) => `EXCLUDED.${c}`).join(', ')})`;

  let applied = 0;
  let after = cursor;
  for (;;) {
    const entries = await replica.queryArrays(
      `SELECT seq, op, pk FROM ${CHANGELOG_TABLE} WHERE table_name = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${ENTRIES_PER_BATCH}`,
      [table.name, after, head],
    );
    if (entries.length === 0) break;
    applied += entries.length;
    after = String((entries[entries.length - 1] as unknown[])[0]);
    const last = new Map<string, string>();
    for (const [, op, pk] of entries) if (pk !== null) last.set(String(pk), String(op));
    const upserts = [...last].filter(([, op]) => op === 'U').map(([k]) => k);
    const rows = await readByKeys(replica, table, upserts);
    const present = new Set(
      rows.map((r) => String(r[table.columns.findIndex((c) => c.name === key)])),
    );
    // A key logged as upserted but gone from the replica was deleted since: delete it here too.
    const deletes = [...last].filter(([k, op]) => op === 'D' || !present.has(k)).map(([k]) => k);

    if (rows.length > 0) {
      await pg.query(`TRUNCATE ${stage}`);
      const copied = await copyRows(
        pg,
        `COPY ${stage} (${all.join(', ')}) FROM STDIN`,
        columns,
        trailing,
        (async function* () {
          yield rows;
        })(),
        result.conversions,
      );
      result.bytes += copied.bytes;
      const [upserted] = await pg.query<{ n: string }>(
        `WITH changed AS (
           INSERT INTO ${raw} AS t (${all.join(', ')}) SELECT ${all.join(', ')} FROM ${stage}
           ON CONFLICT (${quotePg(keyColumnRaw.name)}) DO UPDATE SET ${updates.join(', ')} WHERE ${changed}
           RETURNING t.${quotePg(keyColumnRaw.name)}::text AS pk),
         logged AS (INSERT INTO ${rawLog} (table_name, op, pk, run_id) SELECT $1, 'U', pk, $2 FROM changed)
         SELECT count(*)::text AS n FROM changed`,
        [name, trailing[1]],
      );
      result.rowsUpserted += Number(upserted?.n ?? 0);
    }
    if (deletes.length > 0) {
      const [deleted] = await pg.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${raw} WHERE ${quotePg(keyColumnRaw.name)} = ANY($1::text[]::${keyColumnRaw.pgType}[])
           RETURNING ${quotePg(keyColumnRaw.name)}::text AS pk),
         logged AS (INSERT INTO ${rawLog} (table_name, op, pk, run_id) SELECT $2, 'D', pk, $3 FROM gone)
         SELECT count(*)::text AS n FROM gone`,
        [deletes, name, trailing[1]],
      );
      result.rowsDeleted += Number(deleted?.n ?? 0);
    }
    if (entries.length < ENTRIES_PER_BATCH) break;
  }
  return applied;
}

/** Entries up to the load's committed cursor are no longer needed. */
async function pruneChangeLog(replica: MysqlSession, table: string, upTo: string): Promise<void> {
  for (;;) {
    const { affectedRows } = await replica.execute(
      `DELETE FROM ${quoteMysql(CHANGELOG_TABLE)} WHERE table_name = ? AND seq <= ? LIMIT 10000`,
      [table, upTo],
    );
    if (affectedRows < 10_000) return;
  }
}
