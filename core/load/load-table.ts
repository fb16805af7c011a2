import { ValidationError } from '../../contract/errors';
import { assertTableName, quotePg } from '../db/identifiers';
import type { MysqlSession, PgSession } from '../db/ports';
import { countRows, readChunks } from '../db/table-reader';
import { pgTransaction } from '../db/transactions';
import { type DiscoveredTable, discoverTable, keyColumn } from '../discovery/discover-schema';
import { type ChangeWindow, readChangeWindow } from '../handoff/change-log';
import { ETL_COLUMNS } from '../handoff/raw-columns';
import { replicaChangeLog } from '../handoff/replica-change-log';
import type { Logger } from '../logging/logger';
import { loadChanges } from './apply-replica-changes';
import type { Conversions } from './copy-encoder';
import { readCopyText } from './copy-line-reader';
import { canReadRowText } from './copy-line-sql';
import { loadFull } from './full-load';
import { ensureLoadMeta, type LoadState, readLoadState, writeLoadState } from './load-state';
import { planRawSchema, type RawSchemaPlan, readRawColumns } from './raw-schema';
import { mapColumns, type RawColumn } from './type-mapping';

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
  assertTableName(input.table, 'load');
  const { replica, analytics: pg } = deps;
  const { raw, meta } = deps.schemas;
  const log = deps.logger.child({ table: input.table, stage: 'load', runId: input.runId });
  const table = await discoverTable(replica, deps.replicaDatabase, input.table, {
    stage: 'load',
    where: 'replica',
  });
  await ensureLoadMeta(pg, meta, raw);
  const name = table.name.toLowerCase();
  const columns = mapColumns(table.columns);
  const state = await readLoadState(pg, meta, name);
  const schema = planRawSchema({
    schema: raw,
    table: name,
    expected: columns,
    replicaColumns: table.columns,
    actual: await readRawColumns(pg, raw, name),
  });
  const changeLog = replicaChangeLog(replica);
  const window = await readChangeWindow(changeLog, table.name, state?.cursor ?? '0');
  const fullLoadReason = whyFullLoad({ mode: input.mode, schema, state, window, table });
  const target = { schemas: deps.schemas, name, columns, trailing: trailingValues(input.runId) };
  const saveCursor = (full: boolean) =>
    writeLoadState(
      pg,
      meta,
      { table_name: name, cursor: window.head, last_run_id: input.runId },
      full,
    );

  let outcome: Omit<
    LoadResult,
    'table' | 'mode' | 'fullLoadReason' | 'schemaChange' | 'durationMs' | 'cursor'
  >;
  // Nothing logged since the last load, no schema change: raw is as the last load validated it.
  const nothingNew = !fullLoadReason && schema.action === 'none' && window.head === window.cursor;
  if (nothingNew) {
    outcome = {
      rowsCopied: 0,
      rowsUpserted: 0,
      rowsDeleted: 0,
      changes: 0,
      bytes: 0,
      conversions: { zeroDateToNull: 0, nulStripped: 0 },
    };
  } else if (fullLoadReason) {
    log.info('full load', { reason: fullLoadReason });
    const copied = await loadFull(pg, {
      ...target,
      source: canReadRowText(table.columns)
        ? {
            text: readCopyText(replica, table, columns, {
              batchSize: deps.settings.batchSize,
              trailing: target.trailing,
            }),
          }
        : { rows: readChunks(replica, table, { batchSize: deps.settings.batchSize }) },
      primaryKey: table.primaryKey.map((k) => k.toLowerCase()),
      runId: input.runId,
      inSwap: () => saveCursor(true),
    });
    outcome = { ...copied, rowsCopied: copied.rows, rowsUpserted: 0, rowsDeleted: 0, changes: 0 };
  } else {
    outcome = await pgTransaction(pg, async () => {
      if (schema.action === 'add')
        for (const statement of schema.statements) await pg.query(statement);
      const applied = await loadChanges(pg, {
        ...target,
        replica,
        table,
        changeLog,
        window,
      });
      await saveCursor(false);
      return { ...applied, rowsCopied: 0 };
    });
  }

  if (!nothingNew) {
    await checkAgainstReplica(deps, table, name, columns);
    await changeLog.prune(table.name, window.head);
  }
  const result: LoadResult = {
    table: table.name,
    mode: fullLoadReason ? 'full' : 'incremental',
    fullLoadReason,
    schemaChange: describeSchemaChange(schema),
    ...outcome,
    durationMs: Date.now() - started,
    cursor: window.head,
  };
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

/** Why this load must rebuild raw's table instead of applying the change log (null: it need not). */
function whyFullLoad(facts: {
  mode: LoadInput['mode'];
  schema: RawSchemaPlan;
  state: LoadState | null;
  window: ChangeWindow;
  table: DiscoveredTable;
}): string | null {
  if (facts.mode === 'full') return 'full load requested (--force)';
  if (facts.schema.action === 'create') return 'first load of this table';
  if (facts.schema.action === 'reload') return `schema change: ${facts.schema.reason}`;
  if (!facts.state) return 'no load state yet';
  if (facts.window.fullRefresh) return 'full-refresh marker in the change log';
  if (!keyColumn(facts.table)) return 'no single-column primary key';
  return null;
}

function describeSchemaChange(schema: RawSchemaPlan): LoadResult['schemaChange'] {
  if (schema.action === 'add')
    return { action: 'add', detail: `columns added: ${schema.columns.join(', ')}` };
  if (schema.action === 'reload') return { action: 'reload', detail: schema.reason };
  return { action: schema.action, detail: null };
}

/** `_etl_loaded_at` and `_etl_run_id` of every row this load writes. */
function trailingValues(runId: string): readonly string[] {
  return [new Date().toISOString(), runId];
}

/**
 * Validation gates: the same rows as the replica, and exactly the mapped columns (by name and
 * type; columns added later stand at the end of the raw table).
 */
async function checkAgainstReplica(
  deps: LoadDeps,
  table: DiscoveredTable,
  name: string,
  columns: readonly RawColumn[],
): Promise<void> {
  const { analytics: pg } = deps;
  const context = { table: table.name, stage: 'load' as const };
  // The two servers count at once.
  const [[rawCount], replicaCount] = await Promise.all([
    pg.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quotePg(deps.schemas.raw)}.${quotePg(name)}`,
    ),
    countRows(deps.replica, table.name),
  ]);
  if (Number(rawCount?.n) !== replicaCount) {
    throw new ValidationError(`raw has ${rawCount?.n} rows, replica ${replicaCount}`, context);
  }
  const actual = (await readRawColumns(pg, deps.schemas.raw, name))
    .map((c) => `${c.name} ${c.type}`)
    .sort();
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
}
