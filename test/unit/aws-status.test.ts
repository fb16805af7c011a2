import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsRunStatus } from '../../cli/aws-target';
import { loadConfig } from '../../config/load-config';
import { PipelineConfigSchema } from '../../config/schema';
import { STAGE_NAMES, type StageName } from '../../contract/stage';
import { STATE } from '../../infra/constructs/etl-state-machine';
import { type AslDefinition, allStates, synthesizeDefinition } from '../../infra/local/definition';
import { etlExecution, type TableScript } from '../helpers/etl-execution';
import { serveExecutions } from '../helpers/serve-executions';
import { mockStackOutputs } from '../helpers/stack-outputs';
import {
  plannedTable as item,
  lambdaOk,
  stageOutput as output,
  STOPPED_TASK as stoppedTask,
} from '../helpers/table-scripts';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
const config = PipelineConfigSchema.parse({});
const stack = mockStackOutputs(ARN);

beforeEach(() => {
  sfn.reset();
  stack.reset();
});

/**
 * `status --target aws` reads the latest execution's history, then each table's child execution
 * of the distributed Map. The mocked histories are the ones Step Functions records for the
 * synthesized state machine (test/helpers/execution-history.ts: event types and details as in the
 * API reference, each state's resource and evaluated Parameters from the definition), served in
 * pages, the children listed under the Map Run in pages too (test/helpers/serve-executions.ts).
 */
describe('status --target aws: stages from the execution history', () => {
  let definition: AslDefinition;
  beforeAll(() => {
    definition = synthesizeDefinition(loadConfig({ env: {} }));
  });

  const T0 = new Date(Date.UTC(2026, 0, 1, 6, 0, 0));
  const status = (now?: Date) =>
    awsRunStatus(config, 5, {
      sfn: new SFNClient({ region: 'us-east-1' }),
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
      now: () => now ?? new Date(),
    });

  it('stage states: Lambda invokes the function ARN (LambdaFunction* events), Fargate runs ecs:runTask.sync (Task* events)', () => {
    const states = new Map(allStates(definition));
    for (const stage of STAGE_NAMES) {
      expect(states.get(STATE.lambda(stage))?.Resource).toMatch(
        /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:/,
      );
      expect(states.get(STATE.ecs(stage))?.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    }
  });

  it('reads Lambda and Fargate tables, retries, failures, across pages', async () => {
    const tables: TableScript[] = [
      { item: item('patient', 'lambda'), stages: lambdaOk('patient', 527, 3000) },
      {
        item: item('claim', 'lambda'),
        stages: {
          ...lambdaOk('claim', 41, 1000),
          extract: [
            { ms: 2000, error: 'DeadlockError' },
            { waitMs: 300_000, ms: 3000, output: output('claim', 'extract', 41) },
          ],
        },
      },
      {
        item: item('commlog', 'lambda'),
        stages: {
          extract: [{ ms: 1000, output: output('commlog', 'extract', 12) }],
          load: [{ ms: 1200, error: 'ValidationError' }],
        },
      },
      {
        item: item('securitylog', 'fargate'),
        stages: {
          extract: [{ ms: 60_000, output: stoppedTask }],
          load: [{ ms: 45_000, output: stoppedTask }],
          transform: [{ ms: 30_000, output: stoppedTask }],
        },
      },
    ];
    const execution = await etlExecution({
      definition,
      start: T0,
      runId: 'run-1',
      tables,
      end: 'finished',
    });
    const types = new Set(execution.children.flatMap((c) => c.events.map((e) => e.type)));
    for (const type of ['LambdaFunctionScheduled', 'LambdaFunctionFailed', 'TaskSubmitted'])
      expect(types, type).toContain(type);
    const served = serveExecutions(sfn, execution);

    const { runs, latest } = await status();
    expect(runs).toEqual([
      {
        runId: 'run-1',
        status: 'failed',
        startedAt: T0.toISOString(),
        finishedAt: execution.stopDate?.toISOString(),
        tablesTotal: 4,
        tablesFailed: 1,
      },
    ]);
    const ok = (table: string, stage: StageName, rows: number | null, durationMs: number) => ({
      table,
      stage,
      status: 'succeeded',
      rows,
      durationMs,
      errorClass: null,
    });
    expect(latest).toEqual([
      // 2 s failed, 300 s Retry interval, 3 s succeeded.
      ok('claim', 'extract', 41, 305_000),
      ok('claim', 'load', 41, 1000),
      ok('claim', 'transform', 41, 1000),
      ok('commlog', 'extract', 12, 1000),
      {
        table: 'commlog',
        stage: 'load',
        status: 'failed',
        rows: null,
        durationMs: 1200,
        errorClass: 'ValidationError',
      },
      ok('patient', 'extract', 527, 3000),
      ok('patient', 'load', 527, 3000),
      ok('patient', 'transform', 527, 3000),
      // The Fargate task's output has no rows: they are in its log and its Rows metric.
      ok('securitylog', 'extract', null, 60_000),
      ok('securitylog', 'load', null, 45_000),
      ok('securitylog', 'transform', null, 30_000),
    ]);
    // Every history read whole, page by page (20 events a page): the parent's and each child's.
    const pagesOf = (arn: string, events: unknown[]) =>
      Array.from({ length: Math.ceil(events.length / 20) }, (_, i) => ({
        executionArn: arn,
        nextToken: i === 0 ? undefined : `events-${i}`,
      }));
    const expected = [execution, ...execution.children].flatMap((e) =>
      pagesOf(e.executionArn, 'parent' in e ? e.parent : e.events),
    );
    expect(served.histories).toHaveLength(expected.length);
    expect(served.histories).toEqual(expect.arrayContaining(expected));
    expect(expected.length).toBeGreaterThan(1 + tables.length);
    // The children are listed under the Map Run, two a page.
    expect(served.childLists.map((c) => [c.mapRunArn, c.nextToken])).toEqual([
      [execution.mapRunArn, undefined],
      [execution.mapRunArn, 'children-1'],
    ]);
  });

  it('shows a running execution: stages in progress, the planned table count, a timed-out stage', async () => {
    const tables: TableScript[] = [
      { item: item('patient', 'lambda'), stages: { extract: [{ ms: 0, running: true }] } },
      {
        item: item('securitylog', 'fargate'),
        stages: {
          extract: [{ ms: 60_000, output: stoppedTask }],
          load: [{ ms: 0, running: true }],
        },
      },
      {
        item: item('claim', 'lambda'),
        stages: { ...lambdaOk('claim', 41, 1000), transform: [{ ms: 870_000, timedOut: true }] },
      },
    ];
    const unscheduled = [{ ms: 50, scheduleFailed: 'Lambda.ResourceNotFoundException' }];
    const plan = [
      ...tables,
      { item: item('commlog', 'lambda'), stages: { extract: unscheduled } },
      { item: item('procedurelog', 'fargate'), stages: {} },
    ];
    const execution = await etlExecution({
      definition,
      start: T0,
      runId: 'run-1',
      tables: plan,
      end: 'running',
    });
    serveExecutions(sfn, execution);
    // Plan ends at 1.5 s; child i starts 0.2 s × i later.
    const now = new Date(T0.getTime() + 1_000_000);
    const { runs, latest, mapRun } = await status(now);
    expect(runs[0]).toMatchObject({ status: 'running', finishedAt: null, tablesTotal: 5 });
    // procedurelog's child has not started: the Map Run counts it pending.
    expect(mapRun).toEqual({
      status: 'running',
      total: 5,
      pending: 1,
      running: 2,
      succeeded: 2,
      failed: 0,
      timedOut: 0,
      aborted: 0,
    });
    expect(runs[0]?.tablesFailed).toBe(2);
    expect(latest).toEqual([
      expect.objectContaining({ table: 'claim', stage: 'extract', status: 'succeeded' }),
      expect.objectContaining({ table: 'claim', stage: 'load', status: 'succeeded' }),
      {
        table: 'claim',
        stage: 'transform',
        status: 'timed out',
        rows: null,
        durationMs: 870_000,
        errorClass: 'States.Timeout',
      },
      // Never scheduled: the table from the child's input, the stage from the state's name.
      {
        table: 'commlog',
        stage: 'extract',
        status: 'failed',
        rows: null,
        durationMs: 50,
        errorClass: 'Lambda.ResourceNotFoundException',
      },
      {
        table: 'patient',
        stage: 'extract',
        status: 'running',
        rows: null,
        durationMs: 1_000_000 - 1500,
        errorClass: null,
      },
      expect.objectContaining({ table: 'securitylog', stage: 'extract', status: 'succeeded' }),
      {
        table: 'securitylog',
        stage: 'load',
        status: 'running',
        rows: null,
        durationMs: 1_000_000 - (1500 + 200 + 60_000),
        errorClass: null,
      },
    ]);
  });
});
