import { decodeStageEnvironment } from '../../contract/container-environment';
import { EtlError, isTransient } from '../../contract/errors';
import type { StageOutput } from '../../contract/stage';
import { createRunStageHandler, type HandlerContext } from './handlers';

/**
 * One stage of one table in a container (the Fargate task), its input decoded from the container
 * environment by the contract's codec. Transient errors are retried here with bounded backoff
 * (general.max_retries); the outcome is one JSON line on stdout (success) or stderr (failure,
 * with the error class), and the exit code: 0 ok, 1 failed.
 */
export async function runContainerStage(
  env: NodeJS.ProcessEnv,
  context: HandlerContext & {
    /** Handed the stage's output before it is written (the adapter's metrics): a throw fails the stage. */
    onOutput?: (output: StageOutput) => void;
  },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<number> {
  const input = decodeStageEnvironment(env);
  const config = await context.config();
  const handler = createRunStageHandler(context);
  const attempts = config.general.max_retries + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await handler(input);
      context.onOutput?.(output);
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
