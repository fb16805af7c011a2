import { ValidationError } from '../../contract/errors';
import type { Strategy } from '../../contract/stage';
import { assertTableName, quoteMysql } from '../db/identifiers';
import { REPLICA_SQL_MODE } from '../db/mysql-session-settings';
import type { MysqlSession } from '../db/ports';
import { countRows } from '../db/table-reader';
import {
  type DiscoveredTable,
  discoverSchema,
  discoverTable,
  keyColumn,
} from '../discovery/discover-schema';
import { ensureReplicaChangeLog } from '../handoff/replica-change-log';
import type { Logger } from '../logging/logger';
import { type ExtractState, ensureExtractState, readState, writeState } from './extract-state';
import {
  forcedComparison,
  fullCopyNight,
  incrementalNight,
  type NightOutcome,
  type NightSettings,
  type Verification,
} from './incremental-night';
import { planSchemaSync, type SchemaPlan } from './schema-sync';
import { readClocks } from './source-clock';
import {
  chooseStrategy,
  runnableStrategy,
  type StrategyContext,
  type StrategyOutcome,
} from './strategies';
import { compareAndRepair } from './strategies/reconcile';
import { unwrittenSinceVerified } from './unwritten-table';
import { ensureVerifyState, readVerifyState, writeVerifyState } from './verify-state';

export interface ExtractDeps {
  /** Read-only session on the OpenDental production database. */
  source: MysqlSession;
  /** Writer session on the replica database, with LOAD DATA LOCAL INFILE allowed. */
  replica: MysqlSession;
  sourceDatabase: string;
  replicaDatabase: string;
  settings: { batchSize: number; overlapMinutes: number } & NightSettings;
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
  /** Rows of the rolling comparison tonight (from the plan; 0 or absent: compare whole). */
  compareRows?: number;
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
  /** What the night compared, why, and how far the table is verified. */
  verification: Verification;
}

/**
 * Extract one table from the OpenDental source into the replica: schema checked and synced,
 * then the table's strategy, then the validation gate (row counts, and checksums for full
 * copies). Every changed key goes to the replica's change log in the transaction that wrote it.
 */
export async function extractTable(deps: ExtractDeps, input: ExtractInput): Promise<ExtractResult> {
  const started = Date.now();
  assertTableName(input.table, 'extract');
  const { source, replica } = deps;
  const log = deps.logger.child({ table: input.table, stage: 'extract', runId: input.runId });
  const sourceTable = await discoverTable(source, deps.sourceDatabase, input.table, {
    stage: 'extract',
    where: 'source',
  });
  const table: DiscoveredTable = {
    ...sourceTable,
    changeColumn: input.changeColumn === undefined ? sourceTable.changeColumn : input.changeColumn,
  };
  const wanted =
    input.strategy ??
    chooseStrategy(table, { change_column: input.changeColumn ?? undefined }).strategy;
  const strategy = runnableStrategy(table, wanted);
  // OpenDental's own non-strict mode: zero dates and explicit key 0 are stored as they are.
  await replica.execute('SET SESSION sql_mode = ?, foreign_key_checks = 0', [REPLICA_SQL_MODE]);
  await ensureReplicaChangeLog(replica);
  await ensureExtractState(replica);
  await ensureVerifyState(replica);
  const state = await readState(replica, input.table);
  const previous = await readVerifyState(replica, input.table);
  const clocks = await readClocks(source, replica);
  const unwritten = unwrittenSinceVerified({
    table: sourceTable,
    input,
    state,
    previous,
    clocks,
    settings: deps.settings,
  });
  if (unwritten && state) {
    const result: ExtractResult = {
      table: input.table,
      strategy,
      fullRefreshReason: null,
      schemaChange: { action: 'none', detail: null },
      reconciled: false,
      rowsInserted: 0,
      rowsUpdated: 0,
      rowsDeleted: 0,
      sourceRows: await countRows(source, input.table),
      bytes: 0,
      durationMs: Date.now() - started,
      watermark: state.watermark,
      verification: unwritten,
    };
    log.info('extracted', { strategy: result.strategy, compared: 'none', ms: result.durationMs });
    return result;
  }
  const [replicaTable] = (await discoverSchema(replica, deps.replicaDatabase, [input.table]))
    .tables;
  const showCreate = await showCreateTable(source, input.table);
  const schema = planSchemaSync(sourceTable, replicaTable, showCreate);
  const fullRefreshReason = whyFullCopy({ mode: input.mode, schema, state, strategy, table });
  const schemaDetail = 'reason' in schema ? schema.reason : null;
  if (schema.action !== 'none')
    log.info('schema check', { action: schema.action, detail: schemaDetail });

  const watermark = clocks.sourceNow;
  const context: StrategyContext = {
    source,
    replica,
    table,
    runId: input.runId,
    batchSize: input.batchSize ?? deps.settings.batchSize,
    state,
    overlapMinutes: deps.settings.overlapMinutes,
    showCreate,
    replicaHasTable: Boolean(replicaTable),
  };
  let night: NightOutcome;
  if (fullRefreshReason) {
    log.info('full copy', { reason: fullRefreshReason });
    night = await fullCopyNight(context, { clocks, compareRows: input.compareRows ?? 0 });
  } else {
    if (schema.action === 'alter')
      for (const statement of schema.statements) await replica.execute(statement);
    night = await incrementalNight(context, {
      strategy,
      previous,
      clocks,
      settings: deps.settings,
      compareRows: input.compareRows ?? 0,
      forced: forcedComparison({ input, schema, state, settings: deps.settings }),
    });
  }
  await writeVerifyState(replica, night.verifyState);
  const { passes, verification } = night;
  const reconciled = verification.compared === 'whole';

  // Validation gate: the replica must have exactly the source's rows. A table nothing was done
  // to (the source has not written it since it was verified equal) keeps its verified count.
  const counts = () => Promise.all([countRows(source, table.name), countRows(replica, table.name)]);
  let [sourceRows, replicaRows] = passes.length > 0 ? await counts() : [0, 0];
  if (passes.length === 0) sourceRows = await countRows(source, table.name);
  else if (replicaRows !== sourceRows && !reconciled && keyColumn(table)) {
    log.info('row counts differ after the incremental pass: reconciling key sets', {});
    passes.push(await compareAndRepair(context, { keysOnly: true }));
    [sourceRows, replicaRows] = await counts();
  }
  if (passes.length > 0 && replicaRows !== sourceRows) {
    throw new ValidationError(`replica has ${replicaRows} rows, source ${sourceRows}`, {
      table: table.name,
      stage: 'extract',
    });
  }

  const ran: Strategy = fullRefreshReason ? 'full' : strategy;
  await writeState(replica, {
    table_name: table.name,
    strategy: ran,
    watermark,
    runs_since_reconcile:
      reconciled || fullRefreshReason ? 0 : (state?.runs_since_reconcile ?? 0) + 1,
    last_run_id: input.runId,
  });
  const sum = (field: 'inserted' | 'updated' | 'deleted' | 'bytes') =>
    passes.reduce((n, p: StrategyOutcome) => n + p[field], 0);
  const result: ExtractResult = {
    table: input.table,
    strategy: ran,
    fullRefreshReason,
    schemaChange: { action: schema.action, detail: schemaDetail },
    reconciled,
    rowsInserted: sum('inserted'),
    rowsUpdated: sum('updated'),
    rowsDeleted: sum('deleted'),
    sourceRows,
    bytes: sum('bytes'),
    durationMs: Date.now() - started,
    watermark,
    verification,
  };
  log.info('extracted', {
    strategy: result.strategy,
    inserted: result.rowsInserted,
    updated: result.rowsUpdated,
    deleted: result.rowsDeleted,
    rows: result.sourceRows,
    compared: verification.compared,
    ms: result.durationMs,
  });
  return result;
}

/** Why this extract must copy the whole table (null: its strategy's pass will do). */
function whyFullCopy(facts: {
  mode: ExtractInput['mode'];
  schema: SchemaPlan;
  state: ExtractState | null;
  strategy: Strategy;
  table: DiscoveredTable;
}): string | null {
  if (facts.mode === 'full') return 'full refresh requested (--force)';
  if (facts.schema.action === 'create') return facts.schema.reason;
  if (facts.schema.action === 'rebuild') return `schema change: ${facts.schema.reason}`;
  if (!facts.state) return 'no extract state yet';
  if (facts.strategy === 'full')
    return keyColumn(facts.table) ? 'strategy full' : 'no single-column primary key';
  return null;
}

async function showCreateTable(source: MysqlSession, table: string): Promise<string> {
  const [row] = await source.queryArrays(`SHOW CREATE TABLE ${quoteMysql(table)}`);
  return String(row?.[1] ?? '');
}
