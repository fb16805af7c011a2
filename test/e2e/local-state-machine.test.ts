import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { stageInputOfTask } from '../../contract/container-environment';
import { DeadlockError, ValidationError } from '../../contract/errors';
import { RunSummarySchema } from '../../contract/stage';
import type { Alert } from '../../core/alerts/alert';
import { runSummaryAlert, tableFailureAlert } from '../../core/alerts/alert-texts';
import { quotePg } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { type LocalRunOptions, runLocally } from '../../infra/local/local-runner';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { compareRawWithReplica } from '../helpers/compare-raw';
import { differingChecksums } from '../helpers/local-databases';
import {
  CLINIC_SPREAD,
  createPipelineFixture,
  type PipelineFixture,
} from '../helpers/pipeline-fixture';

/** A spread of the clinic: core tables first, two sent to Fargate, one append and one reconcile table. */
const TABLES = CLINIC_SPREAD;
const FARGATE = ['paysplit', 'securitylog'];
let fx: PipelineFixture;
let config: LoadedConfig;

beforeAll(async () => {
  fx = await createPipelineFixture('sm');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 41, database: fx.names.source });
  config = fx.writeConfig({
    extra: 'general: { parallel_jobs: 2, retry_delay_seconds: 1 }\n',
    tables: `tables:\n${FARGATE.map((t) => `  ${t}: { runner: fargate }`).join('\n')}\n`,
  });
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

interface Trace {
  calls: { state: string; table: string; at: number; end?: number; ok?: boolean }[];
  alerts: Alert[];
}

async function run(input: LocalRunOptions['input'], extra: Partial<LocalRunOptions> = {}) {
  const trace: Trace = { calls: [], alerts: [] };
  const result = await runLocally({
    config,
    input,
    logger: memoryLogger(),
    alertSink: (alert) => {
      trace.alerts.push(alert);
    },
    retryIntervalMs: 20,
    ...extra,
    wrapHandlers: (name, handler) => {
      const inner = extra.wrapHandlers ? extra.wrapHandlers(name, handler) : handler;
      return async (input) => {
        const table = stageInputOfTask(input)?.table ?? '';
        const call: Trace['calls'][number] = { state: name, table, at: Date.now() };
        trace.calls.push(call);
        try {
          const out = await inner(input);
          call.ok = true;
          return out;
        } catch (error) {
          call.ok = false;
          throw error;
        } finally {
          call.end = Date.now();
        }
      };
    },
  });
  return { result, trace };
}

describe('the deployed state machine definition, run locally against the small demo clinic', () => {
  let first: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    first = await run({ tables: TABLES, parallel: 2 });
  }, 600_000);

  it('succeeds and reports every table in its summary', () => {
    expect(first.result.status, JSON.stringify(first.result.output?.summary ?? first.result)).toBe(
      'succeeded',
    );
    expect(first.result.output?.summary).toMatchObject({
      status: 'succeeded',
      tablesTotal: 8,
      tablesSucceeded: 8,
      tablesFailed: 0,
    });
    expect(first.trace.alerts.map((a) => a.subject)).toEqual([
      'OpenDental ETL: nightly run summary',
    ]);
    expect(first.trace.alerts).toEqual([
      runSummaryAlert(RunSummarySchema.parse(first.result.output?.summary)),
    ]);
  });

  it('starts the tables in priority order with at most `parallel` at once', () => {
    const starts = first.trace.calls.filter((c) => /Extract$/.test(c.state)).map((c) => c.table);
    expect(starts).toEqual([
      'patient',
      'appointment',
      'procedurelog',
      'claim',
      'paysplit',
      'definition',
      'commlog',
      'securitylog',
    ]);
    const spans = TABLES.map((table) => {
      const calls = first.trace.calls.filter(
        (c) => c.table === table && /(Extract|Load|Transform)$/.test(c.state),
      );
      return {
        start: Math.min(...calls.map((c) => c.at)),
        end: Math.max(...calls.map((c) => c.end ?? 0)),
      };
    });
    // At every moment a table starts, how many tables are in flight (itself included).
    const inFlight = spans.map(
      (s) => spans.filter((o) => o.start <= s.start && o.end > s.start).length,
    );
    expect(Math.max(...inFlight)).toBeLessThanOrEqual(2);
    expect(Math.max(...inFlight)).toBe(2);
  });

  it('runs small tables through the Lambda handler and large ones through the ECS entrypoint process', () => {
    const byTable = (table: string) =>
      first.trace.calls.filter((c) => c.table === table).map((c) => c.state);
    for (const table of FARGATE)
      expect(byTable(table)).toEqual(['FargateExtract', 'FargateLoad', 'FargateTransform']);
    expect(byTable('patient')).toEqual(['LambdaExtract', 'LambdaLoad', 'LambdaTransform']);
  });

  it('leaves replica, raw and public verified equal, and the run history in etl_meta', async () => {
    expect(await differingChecksums(fx.admin, fx.names.source, fx.names.replica, TABLES)).toEqual(
      [],
    );
    await fx.reopen();
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, TABLES),
    ).toEqual([]);
    expect(await comparePublicWithRaw(fx.loadDeps.analytics, TABLES)).toEqual([]);
    const stages = await fx.loadDeps.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM etl_meta.stage_results WHERE run_id = $1 AND status = 'succeeded'`,
      // The execution's output is the run's summary alone (the state stays small).
      [RunSummarySchema.parse(first.result.output?.summary).runId],
    );
    expect(stages[0]?.n).toBe(String(TABLES.length * 3));
  });

  it('retries a transient error and then succeeds', async () => {
    let failed = false;
    const { result, trace } = await run(
      { tables: ['definition', 'claim'], parallel: 2 },
      {
        wrapHandlers: (name, handler) => async (input) => {
          if (
            name === 'LambdaLoad' &&
            (input as { table: string }).table === 'definition' &&
            !failed
          ) {
            failed = true;
            throw new DeadlockError('deadlock detected', { table: 'definition', stage: 'load' });
          }
          return handler(input);
        },
      },
    );
    expect(result.status).toBe('succeeded');
    expect(
      trace.calls
        .filter((c) => c.state === 'LambdaLoad' && c.table === 'definition')
        .map((c) => c.ok),
    ).toEqual([false, true]);
  });

  it('catches a terminal error, alerts, lets the other tables finish and ends failed with a summary naming it', async () => {
    const { result, trace } = await run(
      { tables: ['patient', 'claim', 'definition'], parallel: 2, runId: 'e2e-catch' },
      {
        wrapHandlers: (name, handler) => async (input) => {
          if (name === 'LambdaTransform' && (input as { table: string }).table === 'claim') {
            throw new ValidationError('public has 1 rows, raw 2', {
              table: 'claim',
              stage: 'transform',
            });
          }
          return handler(input);
        },
      },
    );
    expect(result).toMatchObject({ status: 'failed', error: 'TablesFailed' });
    expect(
      trace.calls.filter((c) => c.state === 'LambdaTransform' && c.table === 'claim'),
    ).toHaveLength(1);
    expect(
      trace.calls
        .filter((c) => c.state === 'LambdaTransform' && c.ok)
        .map((c) => c.table)
        .sort(),
    ).toEqual(['definition', 'patient']);
    expect(trace.alerts.map((a) => a.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/table claim failed in stage transform with ValidationError/),
      ]),
    );
    // The state machine formats the very texts the alert module defines.
    expect(trace.alerts).toContainEqual(
      tableFailureAlert({
        runId: 'e2e-catch',
        table: 'claim',
        stage: 'transform',
        error: 'ValidationError',
      }),
    );
    expect(trace.alerts.at(-1)?.message).toMatch(/failed: 2 of 3 tables succeeded, 1 failed/);
    const [latest] = await fx.loadDeps.analytics.query<{ status: string; tables_failed: number }>(
      `SELECT status, tables_failed FROM etl_meta.runs ORDER BY started_at DESC LIMIT 1`,
    );
    expect(latest).toEqual({ status: 'failed', tables_failed: 1 });
  });

  it('reports a stage that exceeds its timeout as timed out', async () => {
    const { result, trace } = await run(
      { tables: ['commlog', 'definition'], parallel: 2 },
      {
        timeoutSeconds: { LambdaExtract: 1 },
        wrapHandlers: (name, handler) => async (input) => {
          if (name === 'LambdaExtract' && (input as { table: string }).table === 'commlog') {
            await new Promise((r) => setTimeout(r, 2500));
            throw new Error('abandoned');
          }
          return handler(input);
        },
      },
    );
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'failed' });
    expect(trace.alerts.map((a) => a.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/table commlog failed in stage extract with States.Timeout/),
      ]),
    );
    const [row] = await fx.loadDeps.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${quotePg('etl_meta')}.stage_results WHERE table_name = 'definition' AND stage = 'transform' AND status = 'succeeded'`,
    );
    expect(Number(row?.n)).toBeGreaterThan(0);
  });
});
