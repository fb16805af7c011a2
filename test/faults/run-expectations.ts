import { expect } from 'vitest';
import { type FaultBench, TABLES } from './fault-bench';
import type { HookedPool } from './fault-injection';

/** A clean rerun succeeds and leaves source, replica, raw and public consistent. */
export async function expectConverged(bench: FaultBench): Promise<void> {
  const rerun = await bench.run();
  expect(rerun.status, `${rerun.error}: ${rerun.cause}`).toBe('succeeded');
  expect(await bench.differences()).toEqual([]);
}

/** Runs with the fault-injecting pool: the fault fired, procedurelog's task ran twice, all converged. */
export async function expectRetriedOnce(
  bench: FaultBench,
  pool: HookedPool,
  state: string,
  fired: () => boolean,
) {
  const calls = { n: 0 };
  const result = await bench.run(undefined, {
    sessionPool: pool,
    wrapHandlers: countCalls(state, 'procedurelog', calls),
  });
  expect(fired()).toBe(true);
  expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
  expect(calls.n).toBe(2);
  expect(await bench.differences()).toEqual([]);
}

/** A full run in which `restart` happens while procedurelog's `state` task is running. */
export async function expectSurvivesRestart(
  bench: FaultBench,
  state: string,
  restart: () => Promise<void>,
) {
  await bench.dayOfChanges();
  let restarted = false;
  const emittedBefore = bench.emitted.texts.length;
  const result = await bench.run(
    { tables: TABLES, force: true },
    {
      // Long enough for the server to come back within the retries.
      retryIntervalMs: 4000,
      wrapHandlers: (name, handler) =>
        name === state
          ? async (input) => {
              if (restarted || (input as { table?: string }).table !== 'procedurelog')
                return handler(input);
              restarted = true;
              const running = handler(input);
              running.catch(() => {}); // its failure is the state machine's to handle
              await restart();
              return running;
            }
          : handler,
    },
  );
  expect(restarted).toBe(true);
  // The restart did hit the run: tasks failed with transient connection errors and were retried.
  const hits = bench.emitted.texts
    .slice(emittedBefore)
    .filter((t) => t.where.startsWith('task error') && /Connection\w*Error/.test(t.text));
  expect(hits.length).toBeGreaterThan(0);
  expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
  expect(await bench.differences()).toEqual([]);
}

/** Counts calls of one task state for one table. */
function countCalls(state: string, table: string, calls: { n: number }) {
  return (name: string, handler: (input: unknown) => Promise<unknown>) =>
    name === state
      ? async (input: unknown) => {
          if ((input as { table?: string }).table === table) calls.n++;
          return handler(input);
        }
      : handler;
}
