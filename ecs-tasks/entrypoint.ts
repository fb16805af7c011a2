import { EtlError, isTransient } from '../core/errors';
import type { Logger } from '../core/logging/logger';
import { StageInputSchema } from '../core/pipeline/stage-runner';
import { createRunStageHandler, type HandlerContext } from '../lambdas/handlers';

/**
 * The Fargate task: one stage of one table, from the container-override environment
 * (ETL_RUN_ID, ETL_TABLE, ETL_STAGE, ETL_MODE, ETL_STRATEGY). Transient errors are retried here
 * with bounded backoff (general.max_retries); the outcome is one JSON line on stdout (success) or
 * stderr (failure, with the error class), and the exit code: 0 ok, 1 failed.
 */
export async function runContainerStage(
  env: NodeJS.ProcessEnv,
  context: HandlerContext,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<number> {
  const input = StageInputSchema.parse({
    runId: env.ETL_RUN_ID,
    table: env.ETL_TABLE,
    stage: env.ETL_STAGE,
    mode: env.ETL_MODE || 'incremental',
    strategy: env.ETL_STRATEGY || undefined,
    reconcile: env.ETL_RECONCILE === 'true' ? true : undefined,
  });
  const config = await context.config();
  const handler = createRunStageHandler(context);
  const attempts = config.general.max_retries + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await handler(input);
      process.stdout.write(`${JSON.stringify(output)}\n`);
      return 0;
    } catch (error) {
      if (isTransient(error) && attempt < attempts) {
        const delay = Math.min(
          config.general.retry_delay_seconds * 1000 * 2 ** (attempt - 1),
          15 * 60_000,
        );
        context.logger.warn('transient error, retrying', {
          attempt,
          errorClass: (error as Error).name,
          delayMs: delay,
        });
        await sleep(delay);
        continue;
      }
      const errorType = error instanceof Error ? error.name : 'Error';
      const errorMessage = error instanceof EtlError ? error.message : 'unexpected error';
      process.stderr.write(`${JSON.stringify({ errorType, errorMessage })}\n`);
      return 1;
    }
  }
}

export function consoleLogger(bindings: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify({ level, message, ...bindings, ...fields })}\n`);
  return {
    debug: () => {},
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger({ ...bindings, ...more }),
  };
}
