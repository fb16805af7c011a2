import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsRunStatus } from '../../cli/aws-target';
import { loadConfig } from '../../config/load-config';
import { PipelineConfigSchema } from '../../config/schema';
import {
  type PlannedTable,
  STAGE_NAMES,
  type StageName,
  type StageOutput,
} from '../../contract/stage';
import { STATE } from '../../infra/constructs/etl-state-machine';
import { type AslDefinition, allStates, synthesizeDefinition } from '../../infra/local/definition';
import { etlExecutionHistory, type TableScript } from '../helpers/etl-execution';

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
const EXEC = 'arn:aws:states:us-east-1:123456789012:execution:Pipeline:run-1';
const config = PipelineConfigSchema.parse({});

beforeEach(() => {
  sfn.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'OpenDentalEtl',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: ARN }],
      },
    ],
  });
});

/**
 * `status --target aws` reads the latest execution's history. The mocked history is the one Step
 * Functions records for the synthesized state machine (test/helpers/execution-history.ts: event
 * types and details as in the API reference, each state's resource and evaluated Parameters from
 * the definition), interleaved across the Map's iterations, and served in pages.
 */
describe('status --target aws: stages from the execution history', () => {
  let definition: AslDefinition;
  beforeAll(() => {
    definition = synthesizeDefinition(loadConfig({ env: {} }));
  });

  const T0 = new Date(Date.UTC(2026, 0, 1, 6, 0, 0));
  const item = (table: string, runner: PlannedTable['runner']): PlannedTable => ({
    table,
    priority: 1,
    runner,
    strategy: runner === 'fargate' ? 'append' : 'timestamp',
    strategyReason: 'test',
    estimatedRows: 1000,
    mode: 'incremental',
    reconcile: false,
  });
  const output = (table: string, stage: StageName, rows: number): StageOutput => ({
    table,
    stage,
    status: 'succeeded',
    rows,
    durationMs: 10,
    bytes: rows * 120,
    conversions: {},
  });
  /** A Lambda table whose every stage succeeds at the first attempt, `ms` each. */
  const lambdaOk = (table: string, rows: number, ms: number) =>
    Object.fromEntries(STAGE_NAMES.map((s) => [s, [{ ms, output: output(table, s, rows) }]]));
  /** What ecs:runTask.sync returns: the stopped task (no stage output in it). */
  const stoppedTask = { Containers: [{ Name: 'stage', ExitCode: 0 }], LastStatus: 'STOPPED' };

  function serve(events: HistoryEvent[], status: 'FAILED' | 'RUNNING', pageSize = 20): number {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXEC,
          stateMachineArn: ARN,
          name: 'run-1',
          status,
          startDate: T0,
          ...(status === 'FAILED' ? { stopDate: new Date(T0.getTime() + 400_000) } : {}),
        },
      ],
    });
    const pages: HistoryEvent[][] = [];
    for (let i = 0; i < events.length; i += pageSize) pages.push(events.slice(i, i + pageSize));
    sfn.on(GetExecutionHistoryCommand).callsFake(({ nextToken }: { nextToken?: string }) => {
      const index = nextToken ? Number(nextToken.replace('page-', '')) : 0;
      const next = index + 1 < pages.length ? `page-${index + 1}` : undefined;
      return { events: pages[index], ...(next ? { nextToken: next } : {}) };
    });
    return pages.length;
  }
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
    const events = await etlExecutionHistory({
      definition,
      start: T0,
      runId: 'run-1',
      tables,
      finished: true,
    });
    const types = new Set(events.map((e) => e.type));
    for (const type of ['LambdaFunctionScheduled', 'LambdaFunctionFailed', 'TaskSubmitted'])
      expect(types, type).toContain(type);
    const pages = serve(events, 'FAILED');
    expect(pages).toBeGreaterThan(3);

    const { runs, latest } = await status();
    expect(runs).toEqual([
      {
        runId: 'run-1',
        status: 'failed',
        startedAt: T0.toISOString(),
        finishedAt: new Date(T0.getTime() + 400_000).toISOString(),
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
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(pages);
    expect(calls.map((c) => c.nextToken)).toEqual(
      Array.from({ length: pages }, (_, i) => (i === 0 ? undefined : `page-${i}`)),
    );
    expect(calls.every((c) => c.executionArn === EXEC)).toBe(true);
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
    const events = await etlExecutionHistory({
      definition,
      start: T0,
      runId: 'run-1',
      tables: plan,
      finished: false,
    });
    serve(events, 'RUNNING');
    // Plan ends at 1.5 s; iteration i starts 0.2 s × i later.
    const now = new Date(T0.getTime() + 1_000_000);
    const { runs, latest } = await status(now);
    expect(runs[0]).toMatchObject({ status: 'running', finishedAt: null, tablesTotal: 5 });
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
      // Never scheduled: the table from the iteration's input, the stage from the state's name.
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
