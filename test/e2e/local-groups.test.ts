import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { DeadlockError, ValidationError } from '../../contract/errors';
import {
  type GroupStageInput,
  isGroup,
  RunPlanSchema,
  type RunSummary,
  RunSummarySchema,
} from '../../contract/stage';
import type { Alert } from '../../core/alerts/alert';
import { tableFailureAlert } from '../../core/alerts/alert-texts';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { runStage } from '../../core/pipeline/stage-runner';
import { type LocalRunOptions, runLocally } from '../../infra/local/local-runner';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { compareRawWithReplica } from '../helpers/compare-raw';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * Groups of tiny tables through the deployed definition, run locally: a core table alone, three
 * small tables in one group (group_max_tables 3), a fourth alone (a group of one is a table).
 */
const CORE = 'patient';
const SMALL = ['task', 'tasklist', 'disease', 'allergy'];
const TABLES = [CORE, ...SMALL];
let fx: PipelineFixture;
let config: LoadedConfig;

beforeAll(async () => {
  fx = await createPipelineFixture('groups');
  await seedDemoClinic(fx.admin, { scale: 'small', seed: 43, database: fx.names.source });
  config = fx.writeConfig({
    extra: `general: { parallel_jobs: 2, retry_delay_seconds: 1 }
runners: { group_max_rows: 10000000, group_max_tables: 3, group_max_total_rows: 100000000 }
`,
  });
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

interface Trace {
  groupInputs: { state: string; input: GroupStageInput }[];
  alerts: Alert[];
  summary?: RunSummary;
}

async function run(input: LocalRunOptions['input'], extra: Partial<LocalRunOptions> = {}) {
  const trace: Trace = { groupInputs: [], alerts: [] };
  const result = await runLocally({
    config,
    input: { tables: TABLES, parallel: 2, ...input },
    logger: memoryLogger(),
    alertSink: (alert) => {
      trace.alerts.push(alert);
    },
    retryIntervalMs: 10,
    ...extra,
    wrapHandlers: (name, handler) => {
      const inner = extra.wrapHandlers ? extra.wrapHandlers(name, handler) : handler;
      return async (event) => {
        if (/^Group(Extract|Load|Transform)$/.test(name))
          trace.groupInputs.push({ state: name, input: event as GroupStageInput });
        const output = await inner(event);
        // A failed run's execution has no output: the summary as Summarize returned it.
        if (name === 'Summarize') trace.summary = RunSummarySchema.parse(output);
        return output;
      };
    },
  });
  return { result, trace, summary: trace.summary };
}

const groupTables = (trace: Trace, state: string) =>
  trace.groupInputs
    .filter((g) => g.state === state)
    .flatMap((g) => g.input.tables.map((t) => t.table));

describe('tiny tables in groups, through the local state machine', () => {
  it('runs a group’s tables with one task per stage and lands them all in raw and public', async () => {
    const { result, trace, summary } = await run({ runId: 'groups-ok' });
    expect(result.status, JSON.stringify(result)).toBe('succeeded');
    expect(summary).toMatchObject({ tablesTotal: 5, tablesSucceeded: 5, tablesFailed: 0 });
    expect(trace.groupInputs.map((g) => g.state)).toEqual([
      'GroupExtract',
      'GroupLoad',
      'GroupTransform',
    ]);
    const grouped = groupTables(trace, 'GroupExtract');
    expect(grouped).toHaveLength(3);
    expect(grouped).not.toContain(CORE);
    expect(SMALL).toEqual(expect.arrayContaining(grouped));
    await fx.reopen();
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, TABLES),
    ).toEqual([]);
    expect(await comparePublicWithRaw(fx.loadDeps.analytics, TABLES)).toEqual([]);
    const stages = await fx.loadDeps.analytics.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM etl_meta.stage_results WHERE run_id = $1 AND status = 'succeeded'`,
      ['groups-ok'],
    );
    // Per table and stage, as for tables alone.
    expect(stages[0]?.n).toBe(String(TABLES.length * 3));
  });

  it('fails one table of a group alone: its neighbours go on, it gets its own alert and row', async () => {
    const planned = await run({ runId: 'groups-plan', dryRun: true });
    const plan = RunPlanSchema.parse(planned.result.output);
    const members = plan.tables.filter(isGroup).flatMap((g) => g.tables.map((t) => t.table));
    expect(members).toHaveLength(3);
    const [broken, flaky] = members as [string, string];
    let deadlocks = 0;
    const { result, trace, summary } = await run(
      { runId: 'groups-one-fails' },
      {
        runTableStage: (options) => {
          const { table, stage } = options.input;
          if (table === flaky && stage === 'extract' && deadlocks === 0) {
            deadlocks += 1;
            throw new DeadlockError('deadlock detected', { table, stage });
          }
          if (table !== broken || stage !== 'load') return runStage(options);
          // Through the real runStage, so that the failure is recorded as any table's is.
          const failing = async () => {
            throw new ValidationError('raw has 1 rows, the replica 2', { table, stage });
          };
          return runStage({ ...options, stage: { ...options.stage, run: failing } });
        },
      },
    );
    expect(result).toMatchObject({ status: 'failed', error: 'TablesFailed' });
    expect(summary).toMatchObject({ tablesTotal: 5, tablesSucceeded: 4, tablesFailed: 1 });
    expect(summary?.failed).toEqual([
      { table: broken, stage: 'load', errorClass: 'ValidationError' },
    ]);
    // The transient error was retried in the group's task, for that table only.
    expect(deadlocks).toBe(1);
    expect(groupTables(trace, 'GroupLoad')).toEqual(members);
    expect(groupTables(trace, 'GroupTransform')).toEqual(members.filter((t) => t !== broken));
    const tableAlerts = trace.alerts.filter((a) => a.subject === 'OpenDental ETL: a table failed');
    expect(tableAlerts).toEqual([
      tableFailureAlert({
        runId: 'groups-one-fails',
        table: broken,
        stage: 'load',
        error: 'ValidationError',
      }),
    ]);
    const rows = await fx.loadDeps.analytics.query<{
      table_name: string;
      stage: string;
      status: string;
    }>(
      `SELECT table_name, stage, status FROM etl_meta.stage_results WHERE run_id = $1 AND status = 'failed'`,
      ['groups-one-fails'],
    );
    expect(rows).toEqual([{ table_name: broken, stage: 'load', status: 'failed' }]);
    expect(trace.alerts.at(-1)?.message).toMatch(/failed: 4 of 5 tables succeeded, 1 failed/);
  });

  it('reports every table of a group failed at the stage its task failed at as a whole', async () => {
    const { result, trace, summary } = await run(
      { runId: 'groups-task-fails' },
      {
        wrapHandlers: (name, handler) => async (event) => {
          if (name === 'GroupTransform') throw new ValidationError('the task itself broke');
          return handler(event);
        },
      },
    );
    expect(result).toMatchObject({ status: 'failed', error: 'TablesFailed' });
    const members = groupTables(trace, 'GroupTransform');
    expect(members).toHaveLength(3);
    expect(summary).toMatchObject({ tablesTotal: 5, tablesSucceeded: 2, tablesFailed: 3 });
    expect(summary?.failed.map((f) => f.table).sort()).toEqual([...members].sort());
    expect(new Set(summary?.failed.map((f) => `${f.stage} ${f.errorClass}`))).toEqual(
      new Set(['transform ValidationError']),
    );
    const tableAlerts = trace.alerts.filter((a) => a.subject === 'OpenDental ETL: a table failed');
    expect(tableAlerts.sort((a, b) => a.message.localeCompare(b.message))).toEqual(
      [...members].sort().map((table) =>
        tableFailureAlert({
          runId: 'groups-task-fails',
          table,
          stage: 'transform',
          error: 'ValidationError',
        }),
      ),
    );
  });
});
