import type { PipelineConfig, TableOverride } from '../../config/schema';
import { insecureSetting } from '../../config/tls-policy';
import {
  type RunInput,
  RunInputSchema,
  type RunnerKind,
  type RunPlan,
  type RunSummary,
  StageInputSchema,
  type StageOutput,
  SummarizeInputSchema,
  tableOutcomes,
  tablesOfItems,
} from '../../contract/stage';
import { openMysql } from '../db/mysql-adapter';
import { openPg } from '../db/pg-adapter';
import type { Logger } from '../logging/logger';
import { planRun, rejectMalformedTableNames } from '../pipeline/plan-run';
import { ensureRunHistory, finishRun } from '../pipeline/run-history';
import { claimRun, runDeadlineMinutes } from '../pipeline/run-lock';
import { closeSessions, openStageSessions, type StageSessionPool } from '../pipeline/session-pool';
import { createStageRegistry } from '../pipeline/stage-registry';
import { runStage } from '../pipeline/stage-runner';

/**
 * The state machine's task handlers, as factories over where the configuration comes from:
 * in AWS from the environment and Secrets Manager (`runtime-config.ts`), locally from
 * pipeline.yml. They parse input with the contract's schemas, open connections, call the core and
 * close them; an error leaves with its class `name`, which the state machine's Retry and Catch
 * match.
 */
export interface HandlerContext {
  config: () => Promise<PipelineConfig>;
  overrides: () => Promise<Record<string, TableOverride>>;
  logger: Logger;
  /** Reuses stage sessions across tasks (a warm Lambda container, a local run); default: per task. */
  sessionPool?: StageSessionPool;
  /** Recorded with the run for the run lock (default: aws). */
  runner?: RunnerKind;
}

export function createPlanHandler(ctx: HandlerContext) {
  return async (event: unknown): Promise<RunPlan> => {
    const input: RunInput = RunInputSchema.parse(event ?? {});
    rejectMalformedTableNames(input);
    const config = await ctx.config();
    warnAllowedPlaintext(config, ctx.logger);
    const source = await openMysql(config.connections.source, { label: 'source', readOnly: true });
    try {
      const plan = await planRun(source, config, await ctx.overrides(), input);
      // A dry run writes nothing anywhere: no run history either.
      if (!plan.dryRun) {
        const pg = await openPg(config.connections.analytics, { label: 'analytics' });
        try {
          const meta = config.connections.analytics.schemas.meta;
          await ensureRunHistory(pg, meta);
          await claimRun(pg, meta, {
            runId: plan.runId,
            tables: tablesOfItems(plan.tables).length,
            input: { ...input },
            runner: ctx.runner ?? 'aws',
            leaseMinutes: runDeadlineMinutes(config),
          });
        } finally {
          await pg.close();
        }
      }
      ctx.logger.info('planned', {
        runId: plan.runId,
        tables: tablesOfItems(plan.tables).length,
        items: plan.tables.length,
        dryRun: plan.dryRun,
      });
      return plan;
    } finally {
      await source.close();
    }
  };
}

/**
 * `allow_plaintext: true` is accepted, never silent: every run (its Plan) warns for each
 * connection it lets go without verified TLS. The connection's name only: no host, no user.
 */
function warnAllowedPlaintext(config: PipelineConfig, logger: Logger): void {
  for (const name of ['source', 'replication', 'analytics'] as const) {
    const connection = config.connections[name];
    const insecure = connection.allow_plaintext ? insecureSetting(connection) : null;
    if (insecure) {
      logger.warn(
        `connection ${name} runs without verified TLS (${insecure}), as allow_plaintext permits: its credentials and rows can be read or altered on the network`,
        { connection: name, tls: insecure },
      );
    }
  }
}

export function createRunStageHandler(ctx: HandlerContext) {
  return async (event: unknown): Promise<StageOutput> => {
    const input = StageInputSchema.parse(event);
    const config = await ctx.config();
    const stage = createStageRegistry(config)[input.stage];
    const pool = ctx.sessionPool;
    const sessions = pool
      ? await pool.acquire(config, input.stage, stage.roles)
      : await openStageSessions(config, stage.roles);
    let succeeded = false;
    try {
      const output = await runStage({
        stage,
        sessions,
        input,
        logger: ctx.logger,
        meta: config.connections.analytics.schemas.meta,
      });
      succeeded = true;
      return output;
    } finally {
      if (pool) await pool.release(sessions, succeeded);
      else await closeSessions(sessions);
    }
  };
}

export function createSummarizeHandler(ctx: HandlerContext) {
  return async (event: unknown): Promise<RunSummary> => {
    const input = SummarizeInputSchema.parse(event);
    const config = await ctx.config();
    const pg = await openPg(config.connections.analytics, { label: 'analytics' });
    try {
      const meta = config.connections.analytics.schemas.meta;
      await ensureRunHistory(pg, meta);
      // A group's outcome holds its tables' outcomes: the summary counts and names tables.
      const failures = tableOutcomes(input.results).flatMap((r) =>
        r.status === 'failed'
          ? [{ table: r.table, stage: r.stage, errorClass: r.error ?? 'Error' }]
          : [],
      );
      const summary = await finishRun(pg, meta, input.runId, failures);
      ctx.logger.info('run finished', {
        runId: summary.runId,
        status: summary.status,
        failed: summary.tablesFailed,
        rows: summary.rows,
      });
      return summary;
    } finally {
      await pg.close();
    }
  };
}
