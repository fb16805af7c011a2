import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { DeadlockError, ValidationError } from '../../contract/errors';
import {
  CONTAINER_RESERVE_MS,
  type ContainerClock,
  containerRetryPolicy,
  type RetryPolicy,
  retryWithinDeadline,
} from '../../core/runtime/container-stage';

/** A clock whose time moves only by sleeps and by the work the test says each attempt takes. */
function fakeClock(): ContainerClock & { waits: number[]; advance: (ms: number) => void } {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
}

/** An attempt that takes `workMs` and fails with `error` the first `failures` times. */
function flaky(clock: ReturnType<typeof fakeClock>, failures: number, error: Error, workMs = 0) {
  let calls = 0;
  const attempt = async () => {
    calls++;
    clock.advance(workMs);
    if (calls <= failures) throw error;
    return 'done';
  };
  return { attempt, calls: () => calls };
}

const deadlock = () => new DeadlockError('deadlock', { table: 't', stage: 'extract' });
const minutes = (n: number) => n * 60_000;

describe('the container’s retries', () => {
  it('retries a transient error with doubling waits and succeeds', async () => {
    const clock = fakeClock();
    const { attempt, calls } = flaky(clock, 2, deadlock());
    const policy: RetryPolicy = { maxRetries: 3, firstDelayMs: 1000, timeoutMs: minutes(30) };
    expect(await retryWithinDeadline(attempt, { policy, clock })).toEqual({
      ok: true,
      value: 'done',
    });
    expect(calls()).toBe(3);
    expect(clock.waits).toEqual([1000, 2000]);
  });

  it('does not retry a terminal error', async () => {
    const clock = fakeClock();
    const error = new ValidationError('differs', { table: 't', stage: 'load' });
    const { attempt, calls } = flaky(clock, 5, error);
    const policy: RetryPolicy = { maxRetries: 3, firstDelayMs: 1000, timeoutMs: minutes(30) };
    expect(await retryWithinDeadline(attempt, { policy, clock })).toEqual({ ok: false, error });
    expect(calls()).toBe(1);
  });

  it('fits the default budget inside the extract stage’s 30 minutes (it used to wait 35)', async () => {
    const config = PipelineConfigSchema.parse({});
    const policy = containerRetryPolicy(config, 'extract');
    expect(policy).toEqual({ maxRetries: 3, firstDelayMs: 300_000, timeoutMs: minutes(30) });
    const clock = fakeClock();
    const { attempt, calls } = flaky(clock, 10, deadlock(), minutes(1));
    const outcome = await retryWithinDeadline(attempt, { policy, clock });
    expect(outcome.ok).toBe(false);
    // 5 + 10 minutes of waits; the next one (20) would end past the timeout: it gives up instead.
    expect(clock.waits).toEqual([minutes(5), minutes(10)]);
    expect(calls()).toBe(3);
    expect(clock.now()).toBeLessThanOrEqual(policy.timeoutMs - CONTAINER_RESERVE_MS);
  });

  it('never waits past the stage timeout, whatever the configuration', async () => {
    for (const [delay, timeout, work] of [
      [3600, 1, 0],
      [300, 30, 20],
      [60, 45, 3],
      [1, 1, 0.2],
    ] as const) {
      const clock = fakeClock();
      const { attempt } = flaky(clock, 100, deadlock(), minutes(work));
      const policy: RetryPolicy = {
        maxRetries: 10,
        firstDelayMs: delay * 1000,
        timeoutMs: minutes(timeout),
      };
      await retryWithinDeadline(attempt, { policy, clock });
      expect(clock.now(), `${delay}s ${timeout}min`).toBeLessThanOrEqual(policy.timeoutMs);
    }
  });

  it('keeps room for another attempt as long as the one that failed', async () => {
    const clock = fakeClock();
    // 20 minutes of work failed; 5 minutes of wait plus 20 more would pass 30 minutes.
    const { attempt, calls } = flaky(clock, 1, deadlock(), minutes(20));
    const policy: RetryPolicy = { maxRetries: 3, firstDelayMs: minutes(5), timeoutMs: minutes(30) };
    expect((await retryWithinDeadline(attempt, { policy, clock })).ok).toBe(false);
    expect(calls()).toBe(1);
    expect(clock.waits).toEqual([]);
  });
});

describe('a container started without a stage input', () => {
  it('fails with one ConfigError line and a terminal exit, not a crash', async () => {
    const { runContainerStage, CONTAINER_EXIT } = await import(
      '../../core/runtime/container-stage'
    );
    const { silentLogger } = await import('../../core/logging/logger');
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await runContainerStage(
        { ETL_TABLE: 'patient; DROP TABLE x' },
        {
          config: async () => PipelineConfigSchema.parse({}),
          overrides: async () => ({}),
          logger: silentLogger,
        },
      );
      expect(code).toBe(CONTAINER_EXIT.failed);
    } finally {
      process.stderr.write = write;
    }
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { errorType: 'ConfigError', errorMessage: 'the container environment is not a stage input' },
    ]);
  });
});
