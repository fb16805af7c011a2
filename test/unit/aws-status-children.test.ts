import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsRunStatus } from '../../cli/aws-target';
import { mapRunLine } from '../../cli/commands/status';
import { HISTORY_READS_AT_ONCE } from '../../cli/read-map-run';
import { loadConfig } from '../../config/load-config';
import { PipelineConfigSchema } from '../../config/schema';
import type { RunPlan } from '../../contract/stage';
import { STATE } from '../../infra/constructs/state-names';
import { type AslDefinition, synthesizeDefinition } from '../../infra/local/definition';
import { etlExecution, type TableScript } from '../helpers/etl-execution';
import { ExecutionHistory } from '../helpers/execution-history';
import { serveExecutions } from '../helpers/serve-executions';
import { plannedTable as item, lambdaOk, STOPPED_TASK as stopped } from '../helpers/table-scripts';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Pipeline';
const config = PipelineConfigSchema.parse({ aws: { state_machine_arn: ARN } });
const T0 = new Date(Date.UTC(2026, 0, 2, 6, 0, 0));

beforeEach(() => sfn.reset());

const status = (now = new Date()) =>
  awsRunStatus(config, 5, {
    sfn: new SFNClient({ region: 'us-east-1' }),
    cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    now: () => now,
  });

/**
 * The `Tables` Map is distributed: each table's stages run, and are recorded, in the table's own
 * child execution. The parent's history has the plan and the Map Run; `status --target aws`
 * follows the Map Run to its children.
 */
describe('status --target aws: the tables in the Map Run’s child executions', () => {
  let definition: AslDefinition;
  beforeAll(() => {
    definition = synthesizeDefinition(loadConfig({ env: {} }));
  });

  it('reads every table from its child execution, a few histories at a time: the parent has no stage', async () => {
    const tables: TableScript[] = Array.from({ length: 12 }, (_, i) =>
      i % 4 === 3
        ? {
            item: item(`fargate_${i}`, 'fargate'),
            stages: {
              extract: [{ ms: 9000, output: stopped }],
              load: [{ ms: 8000, output: stopped }],
              transform: [{ ms: 7000, output: stopped }],
            },
          }
        : { item: item(`table_${i}`, 'lambda'), stages: lambdaOk(`table_${i}`, i, 1000 + i) },
    );
    const execution = await etlExecution({
      definition,
      start: T0,
      runId: 'run-2',
      tables,
      end: 'finished',
    });
    // What a reader of the parent's history alone sees: the Plan, the Map Run, the summary tasks.
    const entered = execution.parent.flatMap((e) =>
      e.type === 'TaskStateEntered' ? [e.stateEnteredEventDetails?.name] : [],
    );
    expect(entered).toEqual([STATE.plan, STATE.summarize, STATE.notifySummary]);
    expect(execution.parent.map((e) => e.type)).toContain('MapRunStarted');
    const served = serveExecutions(sfn, execution, { latencyMs: 15, childPageSize: 5 });

    const { runs, latest, mapRun } = await status();
    expect(runs[0]).toMatchObject({
      runId: 'run-2',
      status: 'succeeded',
      tablesTotal: 12,
      tablesFailed: 0,
    });
    expect(latest).toHaveLength(36);
    expect(latest.every((s) => s.status === 'succeeded')).toBe(true);
    expect(latest.filter((s) => s.table === 'table_5')).toEqual(
      ['extract', 'load', 'transform'].map((stage) => ({
        table: 'table_5',
        stage,
        status: 'succeeded',
        rows: 5,
        durationMs: 1005,
        errorClass: null,
      })),
    );
    expect(mapRun).toMatchObject({ status: 'succeeded', total: 12, succeeded: 12, pending: 0 });
    // Each child's history read (whole), at most HISTORY_READS_AT_ONCE at a time, and in parallel.
    const read = new Set(served.histories.map((h) => h.executionArn));
    expect(read).toEqual(
      new Set([execution.executionArn, ...execution.children.map((c) => c.executionArn)]),
    );
    expect(served.maxHistoriesInFlight).toBe(HISTORY_READS_AT_ONCE);
    expect(served.childLists.map((c) => c.nextToken)).toEqual([
      undefined,
      'children-1',
      'children-2',
    ]);
    expect(served.childLists.every((c) => c.maxResults === 1000)).toBe(true);
  });

  it('shows a relaunched Fargate stage as one line, and the error its Catch classified', async () => {
    const fargate = (table: string, stages: TableScript['stages']): TableScript => ({
      item: item(table, 'fargate'),
      stages,
    });
    const ok = (ms: number) => [{ ms, output: stopped }];
    const tables = [
      // Stopped on a transient failure, relaunched by the Parallel 300 s later: one line, 380 s.
      fargate('securitylog', {
        extract: [
          { ms: 20_000, error: 'States.TaskFailed', relaunch: true },
          { waitMs: 300_000, ms: 60_000, output: stopped },
        ],
        load: ok(45_000),
        transform: ok(30_000),
      }),
      // ECS capacity error retried by the task itself, within one launch.
      fargate('document', {
        extract: [
          { ms: 100, error: 'ECS.AmazonECSException' },
          { waitMs: 300_000, ms: 60_000, output: stopped },
        ],
        load: ok(1000),
        transform: [{ ms: 1_800_000, timedOut: true }],
      }),
      fargate('procedurelog', {
        extract: ok(1000),
        load: [{ ms: 5000, error: 'States.TaskFailed' }],
      }),
      fargate('claimproc', {
        extract: [
          { ms: 1000, error: 'States.TaskFailed', relaunch: true },
          { waitMs: 100_000, ms: 1000, error: 'States.TaskFailed', relaunch: true },
        ],
      }),
    ];
    const execution = await etlExecution({
      definition,
      start: T0,
      runId: 'run-3',
      tables,
      end: 'finished',
    });
    const securitylog = execution.children.find((c) => c.table === 'securitylog');
    const entered = securitylog?.events
      .map((e) => e.stateEnteredEventDetails?.name)
      .filter(Boolean);
    expect(entered).toContain(STATE.ecsRelaunch('extract'));
    expect(entered?.filter((n) => n === STATE.ecs('extract'))).toHaveLength(2);
    serveExecutions(sfn, execution);

    const { runs, latest } = await status();
    const line = (table: string, stage: string) =>
      latest.find((s) => s.table === table && s.stage === stage);
    expect(line('securitylog', 'extract')).toEqual({
      table: 'securitylog',
      stage: 'extract',
      status: 'succeeded',
      rows: null,
      durationMs: 380_000,
      errorClass: null,
    });
    expect(latest.filter((s) => s.table === 'securitylog')).toHaveLength(3);
    expect(line('document', 'extract')).toMatchObject({ status: 'succeeded', durationMs: 360_100 });
    expect(line('document', 'transform')).toMatchObject({
      status: 'timed out',
      errorClass: 'States.Timeout',
    });
    // Step Functions says States.TaskFailed for any stopped task; the table failed with the class.
    expect(line('procedurelog', 'load')).toMatchObject({
      status: 'failed',
      durationMs: 5000,
      errorClass: 'FargateTaskFailed',
    });
    expect(line('claimproc', 'extract')).toMatchObject({
      status: 'failed',
      durationMs: 102_000,
      errorClass: 'FargateTaskTransientFailure',
    });
    expect(runs[0]).toMatchObject({ status: 'failed', tablesTotal: 4, tablesFailed: 3 });
  });

  it('ends the stage each child was in when the run is stopped', async () => {
    const tables: TableScript[] = [
      { item: item('patient', 'lambda'), stages: { extract: [{ ms: 0, running: true }] } },
      {
        item: item('securitylog', 'fargate'),
        stages: { extract: [{ ms: 60_000, output: stopped }], load: [{ ms: 0, running: true }] },
      },
      { item: item('claim', 'lambda'), stages: lambdaOk('claim', 41, 1000) },
    ];
    const end = { abortedAtMs: 500_000 };
    const execution = await etlExecution({ definition, start: T0, runId: 'run-4', tables, end });
    serveExecutions(sfn, execution);

    const { runs, latest, mapRun } = await status(new Date(T0.getTime() + 3_600_000));
    expect(runs[0]).toMatchObject({ status: 'aborted', tablesTotal: 3, tablesFailed: 2 });
    expect(latest.find((s) => s.table === 'patient')).toEqual({
      table: 'patient',
      stage: 'extract',
      status: 'aborted',
      rows: null,
      durationMs: 500_000 - 1500,
      errorClass: null,
    });
    expect(latest.find((s) => s.table === 'securitylog' && s.stage === 'load')).toMatchObject({
      status: 'aborted',
      durationMs: 500_000 - (1500 + 200 + 60_000),
    });
    expect(mapRun).toMatchObject({ status: 'aborted', aborted: 2, succeeded: 1 });
    expect(mapRun && mapRunLine(mapRun)).toBe(
      'Map run aborted: 3 tables, 0 pending, 0 running, 1 done (child executions 2 aborted)',
    );
  });

  it('reads no child before the Map Run starts: a dry run shows its plan only', async () => {
    const history = new ExecutionHistory(definition, T0);
    const plan: RunPlan = {
      runId: 'dry-1',
      parallel: 4,
      dryRun: true,
      tables: [item('patient', 'lambda')],
    };
    history.event('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } });
    await history.task(STATE.plan, { runId: 'dry-1', dryRun: true }, [{ ms: 800, output: plan }]);
    history.state('Choice', STATE.dryRun, plan).state('Succeed', STATE.planOnly, plan);
    history.event('ExecutionSucceeded');
    const executionArn = `${ARN.replace(':stateMachine:', ':execution:')}:dry-1`;
    sfn.on(ListExecutionsCommand, { stateMachineArn: ARN }).resolves({
      executions: [
        {
          executionArn,
          stateMachineArn: ARN,
          name: 'dry-1',
          status: 'SUCCEEDED',
          startDate: T0,
          stopDate: T0,
        },
      ],
    });
    sfn.on(GetExecutionHistoryCommand, { executionArn }).resolves({ events: history.events() });

    const { runs, latest, mapRun } = await status();
    expect(runs[0]).toMatchObject({ runId: 'dry-1', tablesTotal: 1, tablesFailed: 0 });
    expect(latest).toEqual([]);
    expect(mapRun).toBeUndefined();
    expect(sfn.commandCalls(DescribeMapRunCommand)).toHaveLength(0);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(1);
  });
});
