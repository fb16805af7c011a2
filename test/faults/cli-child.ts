import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR } from '../../infra/build-app';
import type { FaultBench } from './fault-bench';

const BIN = join(ROOT_DIR, 'bin', 'etl-pipeline.mjs');

/**
 * The CLI as a child process in the bench's directory, with a minimal environment; its output is
 * collected into the bench's emitted texts for the canary check. `child` is there to be killed.
 */
export function cli(
  bench: FaultBench,
  args: string[],
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; out: string }>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: bench.dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Where the vitest config keeps the cached definitions.
      ETL_DEFINITION_CACHE_DIR: process.env.ETL_DEFINITION_CACHE_DIR,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('exit', (code) => {
      bench.emitted.add(`cli ${args[0]} output`, out);
      resolve({ code, out });
    }),
  );
  return { child, done };
}
