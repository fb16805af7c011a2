import { readdirSync, readFileSync } from 'node:fs';
import type { FaultBench } from './fault-bench';

/** The Fargate task processes (ECS entrypoint children) of this suite's runs, by their environment. */
export function fargateChildren(bench: FaultBench): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('ecs-tasks/main.ts')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(bench.names.source))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** True while the replica user runs a statement on `table` (a stage is in the middle of it). */
export async function replicaBusyWith(bench: FaultBench, table: string): Promise<boolean> {
  const rows = await bench.admin.queryArrays(
    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND = 'Query' AND INFO LIKE ?",
    [bench.users.replica, `%${table}%`],
  );
  return Number(rows[0]?.[0]) > 0;
}

/** Waits until `probe` is true (polling), or fails after `ms`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
