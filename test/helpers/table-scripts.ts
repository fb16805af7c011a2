import {
  type PlannedTable,
  STAGE_NAMES,
  type StageName,
  type StageOutput,
} from '../../contract/stage';
import type { Attempt } from './execution-history';

/** A planned table on that runner (what the Plan hands the Map). */
export function plannedTable(table: string, runner: PlannedTable['runner']): PlannedTable {
  return {
    table,
    priority: 1,
    runner,
    strategy: runner === 'fargate' ? 'append' : 'timestamp',
    strategyReason: 'test',
    estimatedRows: 1000,
    mode: 'incremental',
    reconcile: false,
    compareRows: 0,
  };
}

/** What the stage function returns. */
export function stageOutput(table: string, stage: StageName, rows: number): StageOutput {
  return {
    table,
    stage,
    status: 'succeeded',
    rows,
    durationMs: 10,
    bytes: rows * 120,
    conversions: {},
  };
}

/** A Lambda table whose every stage succeeds at the first attempt, `ms` each. */
export function lambdaOk(table: string, rows: number, ms: number): Record<StageName, Attempt[]> {
  return Object.fromEntries(
    STAGE_NAMES.map((s) => [s, [{ ms, output: stageOutput(table, s, rows) }]]),
  ) as Record<StageName, Attempt[]>;
}

/** What ecs:runTask.sync returns: the stopped task (no stage output in it). */
export const STOPPED_TASK = { Containers: [{ Name: 'stage', ExitCode: 0 }], LastStatus: 'STOPPED' };
