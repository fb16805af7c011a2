import { UnknownTableError, ValidationError } from '../../contract/errors';
import { assertTableName, quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import { pgTransaction } from '../db/transactions';
import { type ChangeWindow, readChangeWindow } from '../handoff/change-log';
import { rawChangeLog } from '../handoff/raw-change-log';
import type { Logger } from '../logging/logger';
import { transformChanges } from './apply-raw-changes';
import { ensureEnumLookup } from './enum-lookup';
import { buildPublicTable } from './full-build';
import { catalogColumns, primaryKeyOf } from './pg-catalog';
import { type PublicColumn, publicColumns } from './public-columns';
import { ensureTransformMeta, readTransformCursor, writeTransformCursor } from './transform-state';

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
  assertTableName(table, 'transform');
  const pg = deps.analytics;
  const { raw, public: pub, meta } = deps.schemas;
  const context = { table, stage: 'transform' as const };
  const log = deps.logger.child({ table, stage: 'transform', runId: input.runId });
  const rawColumns = await catalogColumns(pg, raw, table);
  if (rawColumns.length === 0) throw new UnknownTableError('table does not exist in raw', context);
  const primaryKey = await primaryKeyOf(pg, raw, table);
  const columns = publicColumns(table, rawColumns, {
    primaryKey,
    nameOverrides: deps.columnNames?.[table] ?? {},
  });

  await ensureTransformMeta(pg, deps.schemas);
  await ensureEnumLookup(pg, pub);
  const cursor = await readTransformCursor(pg, meta, table);
  const changeLog = rawChangeLog(pg, meta);
  const window = await readChangeWindow(changeLog, table, cursor ?? '0');
  const existing = (await catalogColumns(pg, pub, table)).map((c) => c.name);
  const fullReason = whyFullBuild({
    mode: input.mode,
    existing,
    cursor,
    columns,
    window,
    primaryKey,
  });
  const saveCursor = () =>
    writeTransformCursor(pg, meta, { table, cursor: window.head, runId: input.runId });

  let counts: { rowsWritten: number; rowsUpserted: number; rowsDeleted: number; changes: number };
  // Nothing new in raw's change log: public is as the last transform validated it.
  const nothingNew = !fullReason && window.head === window.cursor;
  if (nothingNew) {
    counts = { rowsWritten: 0, rowsUpserted: 0, rowsDeleted: 0, changes: 0 };
  } else if (fullReason) {
    log.info('full transform', { reason: fullReason });
    const rowsWritten = await buildPublicTable(pg, {
      schemas: deps.schemas,
      table,
      columns,
      primaryKey,
      inSwap: saveCursor,
    });
    counts = { rowsWritten, rowsUpserted: 0, rowsDeleted: 0, changes: 0 };
  } else {
    counts = await pgTransaction(pg, async () => {
      const applied = await transformChanges(pg, {
        schemas: deps.schemas,
        table,
        columns,
        changeLog,
        window,
      });
      await saveCursor();
      return { ...applied, rowsWritten: 0 };
    });
  }

  if (!nothingNew) {
    const [rows] = await pg.query<{ r: string; p: string }>(
      `SELECT (SELECT count(*) FROM ${quotePg(raw)}.${quotePg(table)})::text AS r, (SELECT count(*) FROM ${quotePg(pub)}.${quotePg(table)})::text AS p`,
    );
    if (rows?.r !== rows?.p)
      throw new ValidationError(`public has ${rows?.p} rows, raw ${rows?.r}`, context);
    await changeLog.prune(table, window.head);
  }
  const result: TransformResult = {
    table,
    mode: fullReason ? 'full' : 'incremental',
    fullReason,
    ...counts,
    durationMs: Date.now() - started,
    cursor: window.head,
  };
  log.info('transformed', {
    mode: result.mode,
    written: result.rowsWritten,
    upserted: result.rowsUpserted,
    deleted: result.rowsDeleted,
    ms: result.durationMs,
  });
  return result;
}

/** Why this transform must rebuild the public table instead of applying raw's changes (null: it need not). */
function whyFullBuild(facts: {
  mode: TransformInput['mode'];
  existing: readonly string[];
  cursor: string | null;
  columns: readonly PublicColumn[];
  window: ChangeWindow;
  primaryKey: readonly string[];
}): string | null {
  if (facts.mode === 'full') return 'full transform requested (--force)';
  if (facts.existing.length === 0) return 'first transform of this table';
  if (facts.cursor === null) return 'no transform state yet';
  if (JSON.stringify(facts.existing) !== JSON.stringify(facts.columns.map((c) => c.name)))
    return 'raw columns changed';
  if (facts.window.fullRefresh) return 'raw was fully reloaded';
  if (facts.primaryKey.length !== 1) return 'no single-column primary key';
  return null;
}
