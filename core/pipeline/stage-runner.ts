import { z } from 'zod';
import type { PipelineConfig } from '../../config/schema';
import type { MysqlSession } from '../db/ports';
import { EtlError } from '../errors';
import { extractTable } from '../extract/extract-table';
import { loadTable } from '../load/load-table';
import type { Logger } from '../logging/logger';
import { transformTable } from '../transform/transform-table';
import { ensureRunHistory, recordStage, type StageName } from './run-history';
import type { StageSessions } from './session-pool';

/** Input of one stage task (Lambda payload or the ECS container's ETL_STAGE_INPUT). */
export const StageInputSchema = z.strictObject({
  runId: z.string().min(1).max(64),
  table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  stage: z.enum(['extract', 'load', 'transform']),
  mode: z.enum(['incremental', 'full']).default('incremental'),
  strategy: z.enum(['timestamp', 'append', 'reconcile', 'full']).optional(),
  reconcile: z.boolean().optional(),
});
export type StageInput = z.infer<typeof StageInputSchema>;

export interface StageOutput {
  table: string;
  stage: StageName;
  status: 'succeeded';
  rows: number;
  durationMs: number;
  /** Bytes moved (extract and load). */
  bytes: number;
  /** Load conversions per kind (zero dates to NULL, NUL bytes removed). */
  conversions: Record<string, number>;
}

/**
 * Runs one stage of one table and records it in `etl_meta.stage_results` (also when it fails,
 * with the error class). Errors are rethrown unchanged, so their `name` reaches Step Functions.
 */
export async function runStage(
  config: PipelineConfig,
  sessions: StageSessions,
  input: StageInput,
  logger: Logger,
): Promise<StageOutput> {
  const started = Date.now();
  const meta = config.connections.analytics.schemas.meta;
  await ensureRunHistory(sessions.analytics, meta);
  try {
    const { rows, detail } = await dispatch(config, sessions, input, logger);
    const durationMs = Date.now() - started;
    await recordStage(sessions.analytics, meta, {
      runId: input.runId,
      table: input.table,
      stage: input.stage,
      status: 'succeeded',
      rows,
      durationMs,
      errorClass: null,
      detail,
    });
    return {
      table: input.table,
      stage: input.stage,
      status: 'succeeded',
      rows,
      durationMs,
      bytes: Number(detail.bytes ?? 0),
      conversions: (detail.conversions as Record<string, number> | undefined) ?? {},
    };
  } catch (error) {
    const errorClass = error instanceof Error ? error.name : 'Error';
    logger.error('stage failed', {
      runId: input.runId,
      table: input.table,
      stage: input.stage,
      errorClass,
    });
    await recordStage(sessions.analytics, meta, {
      runId: input.runId,
      table: input.table,
      stage: input.stage,
      status: 'failed',
      rows: 0,
      durationMs: Date.now() - started,
      errorClass,
      detail: { transient: error instanceof EtlError ? error.transient : false },
    }).catch(() => {});
    throw error;
  }
}

async function dispatch(
  config: PipelineConfig,
  sessions: StageSessions,
  input: StageInput,
  logger: Logger,
): Promise<{ rows: number; detail: Record<string, unknown> }> {
  const { connections, general, stages } = config;
  const schemas = connections.analytics.schemas;
  if (input.stage === 'extract') {
    const result = await extractTable(
      {
        source: sessions.source as MysqlSession,
        replica: sessions.replica as MysqlSession,
        sourceDatabase: connections.source.database,
        replicaDatabase: connections.replication.database,
        settings: {
          batchSize: general.batch_size,
          overlapMinutes: stages.extract.overlap_minutes,
          reconcileEveryRuns: stages.extract.reconcile_every_runs,
        },
        logger,
      },
      {
        runId: input.runId,
        table: input.table,
        mode: input.mode,
        strategy: input.strategy,
        reconcile: input.reconcile,
      },
    );
    return {
      rows: result.rowsInserted + result.rowsUpdated + result.rowsDeleted,
      detail: { ...result },
    };
  }
  if (input.stage === 'load') {
    const result = await loadTable(
      {
        replica: sessions.replica as MysqlSession,
        analytics: sessions.analytics,
        replicaDatabase: connections.replication.database,
        schemas: { raw: schemas.raw, meta: schemas.meta },
        settings: { batchSize: general.batch_size },
        logger,
      },
      { runId: input.runId, table: input.table, mode: input.mode },
    );
    return {
      rows: result.rowsCopied + result.rowsUpserted + result.rowsDeleted,
      detail: { ...result },
    };
  }
  const result = await transformTable(
    { analytics: sessions.analytics, schemas, columnNames: config.transform.column_names, logger },
    { runId: input.runId, table: input.table, mode: input.mode },
  );
  return {
    rows: result.rowsWritten + result.rowsUpserted + result.rowsDeleted,
    detail: { ...result },
  };
}
