import { isTransient } from '../../contract/errors';
import {
  GroupStageInputSchema,
  type GroupStageOutput,
  type PlannedTable,
  StageInputSchema,
  type StageOutput,
  type TableFailure,
} from '../../contract/stage';
import { closeSessions, openStageSessions, type StageSessions } from '../pipeline/session-pool';
import { createStageRegistry } from '../pipeline/stage-registry';
import { runStage } from '../pipeline/stage-runner';
import type { HandlerContext } from './handlers';

/**
 * In-process retries of one table of a group after a transient error (the classes of
 * `TRANSIENT_ERROR_NAMES`): few and short, so that a group's task stays far inside Lambda's limit
 * (config/schema.ts, GROUP_DEFAULTS). The task as a whole keeps the state machine's Retry.
 */
export const GROUP_TABLE_RETRIES = 2;
export const GROUP_RETRY_DELAY_MS = 1000;

export interface GroupHandlerContext extends HandlerContext {
  /** First wait before a table's in-process retry, doubling (default 1 s; tests shorten it). */
  groupRetryDelayMs?: number;
  /** Runs one table's stage (default `runStage`; tests wrap it to fail one table). */
  runTableStage?: typeof runStage;
}

/**
 * One stage of a group of tiny tables, in one task: each table in turn with the same `runStage`
 * as a task of its own (its stage result recorded per table), on the pooled sessions. A table
 * that fails, after its retries if the error is transient, is handed on as failed and the others
 * go on; only the tables that succeeded go to the next stage. Sessions that cannot be opened fail
 * the task as a whole (the state machine retries it, then reports each of its tables failed).
 */
export function createRunGroupStageHandler(ctx: GroupHandlerContext) {
  return async (event: unknown): Promise<GroupStageOutput> => {
    const input = GroupStageInputSchema.parse(event);
    const config = await ctx.config();
    const stage = createStageRegistry(config)[input.stage];
    const meta = config.connections.analytics.schemas.meta;
    const pool = ctx.sessionPool;
    const delayMs = ctx.groupRetryDelayMs ?? GROUP_RETRY_DELAY_MS;
    const runTable = ctx.runTableStage ?? runStage;
    const acquire = () =>
      pool
        ? pool.acquire(config, input.stage, stage.roles)
        : openStageSessions(config, stage.roles);
    const release = (s: StageSessions, succeeded: boolean) =>
      pool ? pool.release(s, succeeded) : closeSessions(s);

    const tables: PlannedTable[] = [];
    const results: StageOutput[] = [];
    const failed: TableFailure[] = [...input.failed];
    let sessions: StageSessions | null = null;
    try {
      for (const table of input.tables) {
        const stageInput = StageInputSchema.parse({
          runId: input.runId,
          table: table.table,
          stage: input.stage,
          mode: table.mode,
          strategy: table.strategy,
          reconcile: table.reconcile,
          compareRows: table.compareRows,
        });
        for (let attempt = 0; ; attempt++) {
          sessions ??= await acquire();
          try {
            results.push(
              await runTable({ stage, sessions, input: stageInput, logger: ctx.logger, meta }),
            );
            tables.push(table);
            break;
          } catch (error) {
            // After an error the sessions' state is unknown: closed, fresh ones for what follows.
            const broken: StageSessions = sessions;
            sessions = null;
            await release(broken, false);
            if (isTransient(error) && attempt < GROUP_TABLE_RETRIES) {
              await new Promise((r) => setTimeout(r, delayMs * 2 ** attempt));
              continue;
            }
            const name = error instanceof Error ? error.name : 'Error';
            failed.push({ status: 'failed', table: table.table, stage: input.stage, error: name });
            break;
          }
        }
      }
    } finally {
      if (sessions) await release(sessions, true);
    }
    ctx.logger.info('group stage finished', {
      runId: input.runId,
      group: input.group,
      stage: input.stage,
      succeeded: tables.length,
      failed: failed.length - input.failed.length,
    });
    return {
      group: input.group,
      stage: input.stage,
      tables,
      succeeded: tables.map((t) => t.table),
      failed,
      results,
    };
  };
}
