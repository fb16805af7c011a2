import type { PipelineConfig } from '../../config/schema';
import type { StageInput, StageName } from '../../contract/stage';
import { type ExtractDeps, extractTable } from '../extract/extract-table';
import { type LoadDeps, loadTable } from '../load/load-table';
import type { Logger } from '../logging/logger';
import { type TransformDeps, transformTable } from '../transform/transform-table';
import type { SessionRole, SessionsByRole, StageSessions } from './session-pool';

/** What one stage of one table reports: rows and bytes moved, conversions, its small JSON result. */
export interface StageRun {
  rows: number;
  bytes: number;
  conversions: Record<string, number>;
  /** The stage's own result (counts, reasons, cursors: never a value), kept in the run history. */
  detail: Record<string, unknown>;
}

/** A stage as the runners see it: the sessions it needs, and how it runs on them. */
export interface Stage {
  readonly roles: readonly SessionRole[];
  run(sessions: StageSessions, input: StageInput, logger: Logger): Promise<StageRun>;
}

/**
 * Each stage's dependencies, built from the configuration and the sessions of its roles: the one
 * place they are assembled (the stage runner, the tests and the benchmarks all use these).
 */
export const stageDependencies = {
  extract: (
    config: PipelineConfig,
    sessions: Pick<SessionsByRole, 'source' | 'replica'>,
    logger: Logger,
  ): ExtractDeps => ({
    source: sessions.source,
    replica: sessions.replica,
    sourceDatabase: config.connections.source.database,
    replicaDatabase: config.connections.replication.database,
    settings: {
      batchSize: config.general.batch_size,
      overlapMinutes: config.stages.extract.overlap_minutes,
      reconcileEveryRuns: config.stages.extract.reconcile_every_runs,
      verification: config.stages.extract.verification,
    },
    logger,
  }),
  load: (
    config: PipelineConfig,
    sessions: Pick<SessionsByRole, 'replica' | 'analytics'>,
    logger: Logger,
  ): LoadDeps => ({
    replica: sessions.replica,
    analytics: sessions.analytics,
    replicaDatabase: config.connections.replication.database,
    schemas: {
      raw: config.connections.analytics.schemas.raw,
      meta: config.connections.analytics.schemas.meta,
    },
    settings: { batchSize: config.general.batch_size },
    logger,
  }),
  transform: (
    config: PipelineConfig,
    sessions: Pick<SessionsByRole, 'analytics'>,
    logger: Logger,
  ): TransformDeps => ({
    analytics: sessions.analytics,
    schemas: config.connections.analytics.schemas,
    columnNames: config.transform.column_names,
    logger,
  }),
};

/** The stages by name, with their dependencies built from `config`. */
export function createStageRegistry(config: PipelineConfig): Record<StageName, Stage> {
  return {
    extract: defineStage(['source', 'replica'], async (sessions, input, logger) => {
      const result = await extractTable(stageDependencies.extract(config, sessions, logger), {
        runId: input.runId,
        table: input.table,
        mode: input.mode,
        strategy: input.strategy,
        reconcile: input.reconcile,
        compareRows: input.compareRows,
      });
      return {
        rows: result.rowsInserted + result.rowsUpdated + result.rowsDeleted,
        bytes: result.bytes,
        conversions: {},
        detail: { ...result },
      };
    }),
    load: defineStage(['replica', 'analytics'], async (sessions, input, logger) => {
      const result = await loadTable(stageDependencies.load(config, sessions, logger), {
        runId: input.runId,
        table: input.table,
        mode: input.mode,
      });
      return {
        rows: result.rowsCopied + result.rowsUpserted + result.rowsDeleted,
        bytes: result.bytes,
        conversions: { ...result.conversions },
        detail: { ...result },
      };
    }),
    transform: defineStage(['analytics'], async (sessions, input, logger) => {
      const result = await transformTable(stageDependencies.transform(config, sessions, logger), {
        runId: input.runId,
        table: input.table,
        mode: input.mode,
      });
      return {
        rows: result.rowsWritten + result.rowsUpserted + result.rowsDeleted,
        bytes: 0,
        conversions: {},
        detail: { ...result },
      };
    }),
  };
}

/** A stage whose `run` sees exactly the sessions of its roles, checked when it is called. */
function defineStage<R extends SessionRole>(
  roles: readonly R[],
  run: (sessions: Pick<SessionsByRole, R>, input: StageInput, logger: Logger) => Promise<StageRun>,
): Stage {
  return {
    roles,
    run: (sessions, input, logger) => run(withRoles(sessions, roles, input.stage), input, logger),
  };
}

function withRoles<R extends SessionRole>(
  sessions: Partial<SessionsByRole>,
  roles: readonly R[],
  stage: StageName,
): Pick<SessionsByRole, R> {
  const missing = roles.filter((role) => !sessions[role]);
  if (missing.length > 0)
    throw new Error(`stage ${stage} was given no ${missing.join(', ')} session`);
  return sessions as Pick<SessionsByRole, R>;
}
