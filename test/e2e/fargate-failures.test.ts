import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { stageInputOfTask } from '../../contract/container-environment';
import type { Alert } from '../../core/alerts/alert';
import { tableFailureAlert } from '../../core/alerts/alert-texts';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { FARGATE_ERRORS } from '../../infra/constructs/fargate-stage';
import { type LocalRunOptions, runLocally } from '../../infra/local/local-runner';
import { differingChecksums } from '../helpers/local-databases';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * A Fargate task that fails, through the deployed definition in the local engine: the local
 * binding runs the real container entrypoint and fails as Step Functions does (`States.TaskFailed`,
 * the ECS task description with the container's exit code as the Cause), so the definition's own
 * classification decides. The faults are real: a container-override PIPELINE_CONFIG (as ECS
 * overrides the task definition's) that points a connection at a closed port (connection refused,
 * transient) or at a database that does not exist (terminal). No database is mocked.
 */
const FARGATE = 'securitylog';
const LAMBDA = 'definition';
let fx: PipelineFixture;
let config: LoadedConfig;
let closedPort: number;

beforeAll(async () => {
  fx = await createPipelineFixture('ff');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 47, database: fx.names.source });
  await fx.reopen();
  config = fx.writeConfig({
    // One retry in the container, one relaunch by the state machine.
    extra: 'general: { max_retries: 1, retry_delay_seconds: 1 }\n',
    tables: `tables:\n  ${FARGATE}: { runner: fargate }\n`,
  });
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

interface Call {
  state: string;
  table: string;
  error?: string;
  cause?: { Containers?: { ExitCode?: number }[]; StopCode?: string };
}

/** The task parameters with one more container-override variable: a broken configuration. */
function withConfig(input: unknown, broken: PipelineConfig): unknown {
  const copy = structuredClone(input) as {
    Overrides: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] };
  };
  copy.Overrides.ContainerOverrides[0]?.Environment.push({
    Name: 'PIPELINE_CONFIG',
    Value: JSON.stringify(broken),
  });
  return copy;
}

/** Runs both tables; the first launch of `state` for the Fargate table gets `broken`. */
async function run(runId: string, state: string, broken: PipelineConfig) {
  const calls: Call[] = [];
  const alerts: Alert[] = [];
  let launches = 0;
  const wrapHandlers: LocalRunOptions['wrapHandlers'] = (name, handler) => async (input) => {
    const call: Call = { state: name, table: stageInputOfTask(input)?.table ?? '' };
    calls.push(call);
    const fault = name === state && call.table === FARGATE && launches++ === 0;
    try {
      return await handler(fault ? withConfig(input, broken) : input);
    } catch (error) {
      const e = error as Error;
      call.error = e.name;
      call.cause = e.name === 'States.TaskFailed' ? JSON.parse(e.message) : undefined;
      throw error;
    }
  };
  const result = await runLocally({
    config,
    input: { tables: [FARGATE, LAMBDA], runId, parallel: 2 },
    logger: memoryLogger(),
    alertSink: (alert) => {
      alerts.push(alert);
    },
    retryIntervalMs: 20,
    wrapHandlers,
  });
  const of = (s: string) => calls.filter((c) => c.state === s && c.table === FARGATE);
  return { result, alerts, of };
}

describe('a Fargate task that fails', () => {
  it('gives up on a transient error with exit 75, and the state machine relaunches it to success', async () => {
    const broken = structuredClone(config.pipeline);
    broken.connections.source.port = closedPort;
    const { result, alerts, of } = await run('ff-transient', 'FargateExtract', broken);

    expect(result.status, JSON.stringify(result)).toBe('succeeded');
    const [first, second] = of('FargateExtract');
    expect(of('FargateExtract')).toHaveLength(2);
    expect(first).toMatchObject({
      error: 'States.TaskFailed',
      cause: { StopCode: 'EssentialContainerExited', Containers: [{ ExitCode: 75 }] },
    });
    expect(second?.error).toBeUndefined();
    expect(of('FargateLoad')).toHaveLength(1);
    expect(of('FargateTransform')).toHaveLength(1);
    expect(alerts.map((a) => a.subject)).toEqual(['OpenDental ETL: nightly run summary']);
    expect(
      await differingChecksums(fx.admin, fx.names.source, fx.names.replica, [FARGATE, LAMBDA]),
    ).toEqual([]);
  });

  it('exits 1 on a terminal error: not relaunched, the table fails with an alert, the others go on', async () => {
    const broken = structuredClone(config.pipeline);
    broken.connections.analytics.database = `${fx.names.analytics}_missing`;
    const { result, alerts, of } = await run('ff-terminal', 'FargateLoad', broken);

    expect(result).toMatchObject({ status: 'failed', error: 'TablesFailed' });
    expect(of('FargateLoad')).toEqual([
      expect.objectContaining({
        error: 'States.TaskFailed',
        cause: expect.objectContaining({ Containers: [expect.objectContaining({ ExitCode: 1 })] }),
      }),
    ]);
    expect(of('FargateTransform')).toEqual([]);
    expect(alerts).toContainEqual(
      tableFailureAlert({
        runId: 'ff-terminal',
        table: FARGATE,
        stage: 'load',
        error: FARGATE_ERRORS.failed,
      }),
    );
    expect(alerts.at(-1)?.message).toMatch(/1 of 2 tables succeeded, 1 failed/);
    const stages = await fx.loadDeps.analytics.query<{ table_name: string; stage: string }>(
      `SELECT table_name, stage FROM etl_meta.stage_results
        WHERE run_id = 'ff-terminal' AND status = 'succeeded' ORDER BY table_name, stage`,
    );
    expect(stages.map((s) => `${s.table_name}.${s.stage}`)).toEqual([
      `${LAMBDA}.extract`,
      `${LAMBDA}.load`,
      `${LAMBDA}.transform`,
      `${FARGATE}.extract`,
    ]);
  });
});
