import { expect } from 'vitest';
import { openPg } from '../../../core/db/pg-adapter';
import { cli } from '../cli-child';
import { FARGATE_TABLE, type FaultBench, TABLES } from '../fault-bench';
import { fargateChildren, replicaBusyWith, waitFor } from '../probes';
import { expectConverged } from '../run-expectations';

/** Runner processes (the CLI, a Fargate task) killed with SIGKILL in the middle of a table. */

/** The CLI runner killed while its Fargate child extracts; then a rerun through the CLI. */
export async function killCliRunnerMidTable(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  const { child, done } = cli(bench, [
    'run',
    '--config',
    'pipeline.yml',
    '--force',
    '--tables',
    ...TABLES,
  ]);
  // Killed while its Fargate child is in the middle of that table's extract.
  await waitFor(
    async () => (await replicaBusyWith(bench, FARGATE_TABLE)) && fargateChildren(bench).length > 0,
    60_000,
    'the Fargate extract',
  );
  child.kill('SIGKILL');
  await done;
  // The Fargate child of the killed runner stops with it.
  await waitFor(
    async () => fargateChildren(bench).length === 0,
    10_000,
    'the Fargate child to exit',
  );
  // It stopped with its runner rather than finishing the table on its own.
  const analytics = await openPg(bench.config.pipeline.connections.analytics, { label: 'check' });
  try {
    const finished = await analytics.query(
      `SELECT 1 FROM etl_meta.stage_results s JOIN etl_meta.runs r USING (run_id)
          WHERE r.status = 'running' AND s.table_name = $1 AND s.stage = 'extract' AND s.status = 'succeeded'`,
      [FARGATE_TABLE],
    );
    expect(finished).toEqual([]);
  } finally {
    await analytics.close();
  }
  const rerun = cli(bench, ['run', '--config', 'pipeline.yml', '--tables', ...TABLES]);
  const { code, out } = await rerun.done;
  expect(out).toMatch(/had been killed before it finished: marked interrupted/);
  expect(code).toBe(0);
  expect(await bench.differences()).toEqual([]);
}

/** The Fargate task process killed in the middle of its extract. */
export async function killFargateTaskMidTable(bench: FaultBench): Promise<void> {
  const alerts: string[] = [];
  let killed = false;
  const result = await bench.run(
    { tables: [FARGATE_TABLE], force: true },
    {
      alertSink: (alert) => {
        alerts.push(`${alert.subject} ${alert.message}`);
      },
      wrapHandlers: (name, handler) =>
        name === 'FargateExtract'
          ? async (input) => {
              const running = handler(input);
              running.catch(() => {}); // its failure is the state machine's to handle
              await waitFor(
                () => replicaBusyWith(bench, FARGATE_TABLE),
                60_000,
                'the Fargate extract',
              );
              const children = fargateChildren(bench);
              for (const pid of children) process.kill(pid, 'SIGKILL');
              killed = children.length > 0;
              return running;
            }
          : handler,
    },
  );
  expect(killed).toBe(true);
  expect(result.status).toBe('failed');
  expect(alerts.join('\n')).toMatch(new RegExp(`${FARGATE_TABLE} failed in stage extract`));
  await expectConverged(bench);
}
