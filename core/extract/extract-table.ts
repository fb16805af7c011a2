import { IDENTIFIER } from '../../config/schema';
import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { type DiscoveredTable, discoverSchema } from '../discovery/discover-schema';
import { chooseStrategy, type Strategy } from '../discovery/table-plan';
import { UnknownTableError, ValidationError } from '../errors';
import type { Logger } from '../logging/logger';
import { ensureBookkeeping, inTransaction, readState, writeState } from './change-log';
import { copyFull } from './full-copy';
import { appendPass, timestampPass } from './incremental';
import { reconcileTable } from './reconcile';
import { planSchemaSync } from './schema-sync';
import { countRows } from './source-reader';

export interface ExtractDeps {
  /** Read-only session on the OpenDental production database. */
  source: MysqlSession;
  /** Writer session on the replica database, with LOAD DATA LOCAL INFILE allowed. */
  replica: MysqlSession;
  sourceDatabase: string;
  replicaDatabase: string;
  settings: { batchSize: number; overlapMinutes: number; reconcileEveryRuns: number };
  logger: Logger;
}

export interface ExtractInput {
  runId: string;
  table: string;
  /** `full` (what `--force` means) copies the whole table anew. */
  mode: 'incremental' | 'full';
  /** Also run the checksum reconcile this time (`--reconcile`). */
  reconcile?: boolean;
  /** From the plan (tables.yml overrides); discovered when absent. */
  strategy?: Strategy;
  changeColumn?: string | null;
  batchSize?: number;
}

export interface ExtractResult {
  table: string;
  /** What ran: the configured strategy, or `full` for a first extract, a rebuild or `--force`. */
  strategy: Strategy;
  fullRefreshReason: string | null;
  schemaChange: { action: 'none' | 'create' | 'alter' | 'rebuild'; detail: string | null };
  reconciled: boolean;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  sourceRows: number;
  bytes: number;
  durationMs: number;
  /** Source-server time captured before reading; stored only after the replica commit. */
  watermark: string | null;
}

/**
 * Extract one table from the OpenDental source into the replica: schema checked and synced,
 * then the table's strategy, then the validation gate (row counts, and checksums for full
 * copies). Every changed key goes to the replica's change log in the transaction that wrote it.
 */
export async function extractTable(deps: ExtractDeps, input: ExtractInput): Promise<ExtractResult> {
  const started = Date.now();
  if (!IDENTIFIER.test(input.table)) {
    throw new UnknownTableError('not a valid table name', {
      table: input.table.slice(0, 64),
      stage: 'extract',
    });
  }
  const { source, replica, logger } = deps;
  const log = logger.child({ table: input.table, stage: 'extract', runId: input.runId });
  const context = { table: input.table, stage: 'extract' as const };
  const [sourceTable] = (await discoverSchema(source, deps.sourceDatabase, [input.table])).tables;
  if (!sourceTable) throw new UnknownTableError('table does not exist in the source', context);

  // OpenDental's own non-strict mode: zero dates and explicit key 0 are stored as they are.
  await replica.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', foreign_key_checks = 0");
  await ensureBookkeeping(replica);
  const [replicaTable] = (await discoverSchema(replica, deps.replicaDatabase, [input.table]))
    .tables;
  const showCreate = await showCreateTable(source, input.table);
  const schema = planSchemaSync(sourceTable, replicaTable, showCreate);
  const state = await readState(replica, input.table);
  const batchSize = input.batchSize ?? deps.settings.batchSize;

  const table: DiscoveredTable = {
    ...sourceTable,
    changeColumn: input.changeColumn === undefined ? sourceTable.changeColumn : input.changeColumn,
  };
  let strategy: Strategy =
    table.primaryKey.length !== 1
      ? 'full'
      : (input.strategy ??
        chooseStrategy(table, { change_column: input.changeColumn ?? undefined }).strategy);
  if (strategy === 'timestamp' && !table.changeColumn) strategy = 'reconcile';

  let fullRefreshReason: string | null = null;
  if (input.mode === 'full') fullRefreshReason = 'full refresh requested (--force)';
  else if (schema.action === 'create') fullRefreshReason = schema.reason;
  else if (schema.action === 'rebuild') fullRefreshReason = `schema change: ${schema.reason}`;
  else if (!state) fullRefreshReason = 'no extract state yet';
  else if (strategy === 'full')
    fullRefreshReason =
      table.primaryKey.length !== 1 ? 'no single-column primary key' : 'strategy full';
  if (schema.action !== 'none')
    log.info('schema check', {
      action: schema.action,
      detail: 'reason' in schema ? schema.reason : null,
    });

  const result: ExtractResult = {
    table: input.table,
    strategy: fullRefreshReason ? 'full' : strategy,
    fullRefreshReason,
    schemaChange: { action: schema.action, detail: 'reason' in schema ? schema.reason : null },
    reconciled: false,
    rowsInserted: 0,
    rowsUpdated: 0,
    rowsDeleted: 0,
    sourceRows: 0,
    bytes: 0,
    durationMs: 0,
    watermark: null,
  };
  const watermark = await sourceNow(source);
  const transaction = <T>(work: () => Promise<T>) => inTransaction(replica, work);
  const reconcile = async (keysOnly = false) => {
    const outcome = await reconcileTable({
      source,
      replica,
      table,
      target: table.name,
      rowsPerRange: batchSize * 10,
      log: { runId: input.runId },
      transaction,
      keysOnly,
    });
    // A key-set pass does not count as the periodic full comparison.
    if (!keysOnly) result.reconciled = true;
    result.rowsInserted += outcome.inserted;
    result.rowsUpdated += outcome.updated;
    result.rowsDeleted += outcome.deleted;
    result.bytes += outcome.bytes;
  };

  if (fullRefreshReason) {
    log.info('full copy', { reason: fullRefreshReason });
    const copied = await copyFull({
      source,
      replica,
      table,
      showCreate,
      batchSize,
      runId: input.runId,
      exists: Boolean(replicaTable),
    });
    result.rowsInserted = copied.rows;
    result.bytes = copied.bytes;
  } else {
    if (schema.action === 'alter') {
      for (const statement of schema.statements) await replica.execute(statement);
    }
    const due =
      input.reconcile === true ||
      schema.action === 'alter' ||
      strategy === 'reconcile' ||
      (state?.runs_since_reconcile ?? 0) + 1 >= deps.settings.reconcileEveryRuns;
    if (strategy === 'timestamp' || strategy === 'append') {
      const pass =
        strategy === 'timestamp'
          ? await timestampPass({
              source,
              replica,
              table,
              batchSize,
              runId: input.runId,
              since: state?.watermark ?? null,
              overlapMinutes: deps.settings.overlapMinutes,
            })
          : await appendPass({ source, replica, table, batchSize, runId: input.runId });
      result.rowsInserted += pass.inserted;
      result.rowsUpdated += pass.updated;
      result.bytes += pass.bytes;
    }
    if (due) await reconcile();
  }

  // Validation gate: the replica must have exactly the source's rows.
  result.sourceRows = await countRows(source, table.name);
  let replicaRows = await countRows(replica, table.name);
  if (replicaRows !== result.sourceRows && !result.reconciled && table.primaryKey.length === 1) {
    // The incremental pass saw every stamped insert and edit: what is left are deletes (and
    // unstamped inserts), which the key sets show without hashing whole rows.
    log.info('row counts differ after the incremental pass: reconciling key sets', {});
    await reconcile(true);
    result.sourceRows = await countRows(source, table.name);
    replicaRows = await countRows(replica, table.name);
  }
  if (replicaRows !== result.sourceRows) {
    throw new ValidationError(
      `replica has ${replicaRows} rows, source ${result.sourceRows}`,
      context,
    );
  }

  await writeState(replica, {
    table_name: table.name,
    strategy: result.strategy,
    watermark,
    runs_since_reconcile:
      result.reconciled || fullRefreshReason ? 0 : (state?.runs_since_reconcile ?? 0) + 1,
    last_run_id: input.runId,
  });
  result.watermark = watermark;
  result.durationMs = Date.now() - started;
  log.info('extracted', {
    strategy: result.strategy,
    inserted: result.rowsInserted,
    updated: result.rowsUpdated,
    deleted: result.rowsDeleted,
    rows: result.sourceRows,
    ms: result.durationMs,
  });
  return result;
}

async function showCreateTable(source: MysqlSession, table: string): Promise<string> {
  const [row] = await source.queryArrays(`SHOW CREATE TABLE ${quoteMysql(table)}`);
  return String(row?.[1] ?? '');
}

/** The source server's own clock: OpenDental's change columns are written by that server. */
async function sourceNow(source: MysqlSession): Promise<string> {
  const [row] = await source.queryArrays('SELECT DATE_FORMAT(NOW(), ?)', ['%Y-%m-%d %H:%i:%s']);
  return String(row?.[0]);
}
