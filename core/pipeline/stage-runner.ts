import { EtlError } from '../../contract/errors';
import type { StageInput, StageOutput } from '../../contract/stage';
import type { Logger } from '../logging/logger';
import { ensureRunHistory, recordStage } from './run-history';
import type { StageSessions } from './session-pool';
import type { Stage } from './stage-registry';

/**
 * Runs one stage of one table and records it in `etl_meta.stage_results` (also when it fails,
 * with the error class). Errors are rethrown unchanged, so their `name` reaches Step Functions.
 */
export async function runStage(options: {
  stage: Stage;
  sessions: StageSessions;
  input: StageInput;
  logger: Logger;
  /** The run-history schema (`etl_meta`). */
  meta: string;
}): Promise<StageOutput> {
  const { sessions, input, logger, meta } = options;
  const started = Date.now();
  await ensureRunHistory(sessions.analytics, meta);
  const record = { runId: input.runId, table: input.table, stage: input.stage };
  try {
    const { rows, bytes, conversions, detail } = await options.stage.run(sessions, input, logger);
    const durationMs = Date.now() - started;
    await recordStage(sessions.analytics, meta, {
      ...record,
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
      bytes,
      conversions,
    };
  } catch (error) {
    const errorClass = error instanceof Error ? error.name : 'Error';
    logger.error('stage failed', { ...record, errorClass });
    await recordStage(sessions.analytics, meta, {
      ...record,
      status: 'failed',
      rows: 0,
      durationMs: Date.now() - started,
      errorClass,
      detail: { transient: error instanceof EtlError ? error.transient : false },
    }).catch(() => {});
    throw error;
  }
}
