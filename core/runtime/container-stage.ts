import type { PipelineConfig } from '../../config/schema';
import { decodeStageEnvironment } from '../../contract/container-environment';
import { ConfigError, EtlError, isTransient } from '../../contract/errors';
import type { StageInput, StageOutput } from '../../contract/stage';
import { createRunStageHandler, type HandlerContext } from './handlers';

/**
 * The container's exit codes, which the state machine classifies (`ecs:runTask.sync` reports each
 * in the failure's Cause): 75 is sysexits' EX_TEMPFAIL, "try again later".
 */
export const CONTAINER_EXIT = {
  ok: 0,
  /** A terminal error: relaunching the task would fail the same way. */
  failed: 1,
  /** The container gave up on a transient error (retries spent, or no time left): relaunch it. */
  transient: 75,
} as const;

/** No retry waits longer than this, in the container or in the state machine. */
export const RETRY_MAX_DELAY_SECONDS = 15 * 60;

/**
 * Time the container keeps in hand at the end of its stage's timeout: Step Functions counts the
 * task's start-up (provisioning, image pull) in `TimeoutSeconds`, and the container must still
 * report and exit before it is killed.
 */
export const CONTAINER_RESERVE_MS = 2 * 60_000;

export interface ContainerClock {
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds, monotonic enough for durations. */
  now: () => number;
}

const realClock: ContainerClock = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => performance.now(),
};

/**
 * One stage of one table in a container (the Fargate task), its input decoded from the container
 * environment by the contract's codec. Transient errors are retried here (see
 * `retryWithinDeadline`); the outcome is one JSON line on stdout (success) or stderr (failure,
 * with the error class), and the exit code (`CONTAINER_EXIT`): 0 ok, 75 gave up on a transient
 * error, 1 terminal error.
 */
export async function runContainerStage(
  env: NodeJS.ProcessEnv,
  context: HandlerContext & {
    /** Handed the stage's output before it is written (the adapter's metrics): a throw fails the stage. */
    onOutput?: (output: StageOutput) => void;
  },
  clock: ContainerClock = realClock,
): Promise<number> {
  let input: StageInput;
  try {
    input = decodeStageEnvironment(env);
  } catch {
    // A task started without a valid stage input: the same one-line failure as any terminal error.
    return reportFailure(new ConfigError('the container environment is not a stage input'));
  }
  const config = await context.config();
  const handler = createRunStageHandler(context);
  const outcome = await retryWithinDeadline(
    async () => {
      const output = await handler(input);
      context.onOutput?.(output);
      return output;
    },
    {
      policy: containerRetryPolicy(config, input.stage),
      clock,
      onRetry: (fields) => context.logger.warn('transient error, retrying', fields),
    },
  );
  if (outcome.ok) {
    process.stdout.write(`${JSON.stringify(outcome.value)}\n`);
    return CONTAINER_EXIT.ok;
  }
  return reportFailure(outcome.error);
}

/** The failure line on stderr (error class and our PHI-free message only) and the exit code. */
function reportFailure(error: unknown): number {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof EtlError ? error.message : 'unexpected error';
  process.stderr.write(`${JSON.stringify({ errorType, errorMessage })}\n`);
  return isTransient(error) ? CONTAINER_EXIT.transient : CONTAINER_EXIT.failed;
}

export interface RetryPolicy {
  /** Retries after the first attempt (`general.max_retries`). */
  maxRetries: number;
  /** The first wait (`general.retry_delay_seconds`), doubling, capped at RETRY_MAX_DELAY_SECONDS. */
  firstDelayMs: number;
  /** The stage's `timeout_minutes`: Step Functions stops the task then. */
  timeoutMs: number;
}

export function containerRetryPolicy(
  config: PipelineConfig,
  stage: keyof PipelineConfig['stages'],
): RetryPolicy {
  return {
    maxRetries: config.general.max_retries,
    firstDelayMs: config.general.retry_delay_seconds * 1000,
    timeoutMs: config.stages[stage].timeout_minutes * 60_000,
  };
}

export type RetryOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `attempt`, retrying transient errors with doubling waits, within the stage's timeout: a
 * retry happens only if its wait, plus as long again as the attempt that just failed, plus
 * CONTAINER_RESERVE_MS still fit before the timeout. Otherwise the container gives up on the
 * transient error (exit 75) and the state machine relaunches the task with a fresh timeout, rather
 * than Step Functions killing it mid-attempt (a `States.Timeout`, which is not retried).
 */
export async function retryWithinDeadline<T>(
  attempt: () => Promise<T>,
  options: {
    policy: RetryPolicy;
    clock: ContainerClock;
    onRetry?: (fields: { attempt: number; errorClass: string; delayMs: number }) => void;
  },
): Promise<RetryOutcome<T>> {
  const { policy, clock } = options;
  const started = clock.now();
  for (let n = 1; ; n++) {
    const attemptStarted = clock.now();
    try {
      return { ok: true, value: await attempt() };
    } catch (error) {
      const now = clock.now();
      const delayMs = Math.min(policy.firstDelayMs * 2 ** (n - 1), RETRY_MAX_DELAY_SECONDS * 1000);
      const needed = delayMs + (now - attemptStarted) + CONTAINER_RESERVE_MS;
      const fits = now - started + needed <= policy.timeoutMs;
      if (!isTransient(error) || n > policy.maxRetries || !fits) return { ok: false, error };
      options.onRetry?.({ attempt: n, errorClass: (error as Error).name, delayMs });
      await clock.sleep(delayMs);
    }
  }
}
