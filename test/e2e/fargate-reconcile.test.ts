import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { stageInputOfTask } from '../../contract/container-environment';
import type { RunInput } from '../../contract/stage';
import { quoteMysql } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { runLocally } from '../../infra/local/local-runner';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * `run --reconcile` on a table that runs on Fargate: the flag travels through the container
 * environment into the task. An append table over the size threshold of a whole nightly
 * comparison shows it best: its incremental pass reads new keys only and its rolling slice starts
 * at the first key, so an edit of a row near its end is found by the whole comparison alone.
 */
const TABLE = 'securitylog';
let fx: PipelineFixture;
let config: LoadedConfig;

beforeAll(async () => {
  fx = await createPipelineFixture('fr');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 43, database: fx.names.source });
  await fx.reopen();
  config = fx.writeConfig({
    extra:
      'general: { retry_delay_seconds: 1 }\nstages: { extract: { verification: { full_compare_max_rows: 1000, budget_seconds: 0 } } }\n',
    tables: `tables:\n  ${TABLE}: { runner: fargate }\n`,
  });
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

/** Runs the table through the local state machine; returns the stage inputs its tasks received. */
async function run(input: RunInput) {
  const tasks: { state: string; reconcile: boolean | undefined }[] = [];
  const result = await runLocally({
    config,
    input: { tables: [TABLE], ...input },
    logger: memoryLogger(),
    alertSink: () => {},
    retryIntervalMs: 20,
    wrapHandlers: (state, handler) => async (event) => {
      const stageInput = stageInputOfTask(event);
      if (stageInput) tasks.push({ state, reconcile: stageInput.reconcile });
      return handler(event);
    },
  });
  expect(result.status, JSON.stringify(result)).toBe('succeeded');
  return tasks;
}

interface ExtractDetail {
  strategy: string;
  reconciled: boolean;
  verification: { compared: string };
}

async function extractDetail(runId: string): Promise<ExtractDetail> {
  const [row] = await fx.loadDeps.analytics.query<{ detail: ExtractDetail }>(
    `SELECT detail FROM etl_meta.stage_results WHERE run_id = $1 AND table_name = $2 AND stage = 'extract'`,
    [runId, TABLE],
  );
  if (!row) throw new Error(`no extract result for ${runId}`);
  return row.detail;
}

const replicaText = async (key: number) =>
  (
    await fx.admin.queryArrays(
      `SELECT LogText FROM ${quoteMysql(fx.names.replica)}.${quoteMysql(TABLE)} WHERE SecurityLogNum = ?`,
      [key],
    )
  )[0]?.[0];

describe('run --reconcile on a table routed to Fargate', () => {
  it('reaches the Fargate task, which runs the full comparison and repairs an unstamped edit', async () => {
    await run({ runId: 'fr-first' });
    const [[key]] = (await fx.admin.queryArrays(
      `SELECT MAX(SecurityLogNum) - 10 FROM ${quoteMysql(fx.names.source)}.${quoteMysql(TABLE)}`,
    )) as [[number]];
    await fx.admin.execute(
      `UPDATE ${quoteMysql(fx.names.source)}.${quoteMysql(TABLE)} SET LogText = 'edited in place' WHERE SecurityLogNum = ?`,
      [key],
    );

    // An ordinary night: the append pass does not see the edit, nor the first rolling slice.
    const plain = await run({ runId: 'fr-plain' });
    expect(plain.map((t) => t.state)).toEqual([
      'FargateExtract',
      'FargateLoad',
      'FargateTransform',
    ]);
    expect(await extractDetail('fr-plain')).toMatchObject({
      strategy: 'append',
      reconciled: false,
      verification: { compared: 'rolling' },
    });
    expect(await replicaText(key)).not.toBe('edited in place');

    // With --reconcile the flag is in the container's input, and the comparison repairs the row.
    const reconciled = await run({ runId: 'fr-reconcile', reconcile: true });
    expect(reconciled).toEqual([
      { state: 'FargateExtract', reconcile: true },
      { state: 'FargateLoad', reconcile: true },
      { state: 'FargateTransform', reconcile: true },
    ]);
    expect(await extractDetail('fr-reconcile')).toMatchObject({
      strategy: 'append',
      reconciled: true,
    });
    expect(await replicaText(key)).toBe('edited in place');
    const [published] = await fx.loadDeps.analytics.query<{ log_text: string }>(
      'SELECT log_text FROM public.securitylog WHERE security_log_num = $1',
      [key],
    );
    expect(published?.log_text).toBe('edited in place');
  });
});
