import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { createPlanHandler } from '../../core/runtime';
import { synthesizeDefinition } from '../../infra/local/definition';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * One configured value, `aws.max_run_minutes`, is both the deployed state machine's timeout and
 * the run lock's lease claimed by the Plan step (the real handler, against the real analytics
 * database): a run cannot outlive its lock, and the next run cannot start beside it.
 */
const MINUTES = 37;
let fx: PipelineFixture;
let config: LoadedConfig;

beforeAll(async () => {
  fx = await createPipelineFixture('rd');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 53, database: fx.names.source });
  await fx.reopen();
  config = fx.writeConfig({ extra: `aws: { max_run_minutes: ${MINUTES} }\n` });
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

/** Moves a run's claim back in time, as if it had started `minutes` ago. */
async function startedAgo(runId: string, minutes: number) {
  await fx.loadDeps.analytics.query(
    `UPDATE etl_meta.runs SET started_at = now() - make_interval(mins => $2) WHERE run_id = $1`,
    [runId, minutes],
  );
}

describe('the run deadline', () => {
  it('times the state machine out, and ends the run lock’s lease, at aws.max_run_minutes', async () => {
    expect(synthesizeDefinition(config).TimeoutSeconds).toBe(MINUTES * 60);

    const plan = createPlanHandler({
      config: async () => config.pipeline,
      overrides: async () => config.tables,
      logger: memoryLogger(),
      runner: 'aws',
    });
    const input = (runId: string) => ({ tables: ['definition'], runId });
    await plan(input('rd-first'));

    // Just inside the deadline the first run may still be executing: the next one refuses.
    await startedAgo('rd-first', MINUTES - 1);
    await expect(plan(input('rd-second'))).rejects.toMatchObject({ name: 'RunInProgressError' });

    // Past it, the first execution has timed out: its lease is over and the next run starts.
    await startedAgo('rd-first', MINUTES + 1);
    await expect(plan(input('rd-third'))).resolves.toMatchObject({ runId: 'rd-third' });
  });
});
