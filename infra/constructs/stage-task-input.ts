import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { STAGE_ENVIRONMENT } from '../../contract/container-environment';
import type {
  GroupStageInput,
  PlannedGroup,
  PlannedTable,
  RunSummary,
  StageInput,
  StageName,
} from '../../contract/stage';

/** Paths into a Map iteration's state (`{ item: PlannedTable, runId }`) and the run's summary. */
export const itemPath = (field: keyof PlannedTable) => `$.item.${field}`;
export const summaryPath = (field: keyof RunSummary) => `$.summary.${field}`;
/** Paths into a group's iteration (`{ item: PlannedGroup, runId, batch? }`). */
export const groupPath = (field: keyof PlannedGroup) => `$.item.${field}`;
/** A group's tables still going and its failures so far, after its first stage task. */
export const BATCH_PATH = '$.batch';

/**
 * Where each field of a stage task's input comes from: a path into the iteration's state, or the
 * stage's own name. Typed by the contract, so a new input field must say where it comes from.
 */
function stageInputSources(stage: StageName): {
  [K in keyof StageInput]-?: { path: string } | { value: string };
} {
  return {
    runId: { path: '$.runId' },
    table: { path: itemPath('table') },
    stage: { value: stage },
    mode: { path: itemPath('mode') },
    strategy: { path: itemPath('strategy') },
    reconcile: { path: itemPath('reconcile') },
    compareRows: { path: itemPath('compareRows') },
  };
}

/** The Lambda payload of a stage task: each input field from its source. */
export function lambdaPayload(stage: StageName): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(stageInputSources(stage)).map(([field, source]) =>
      'path' in source ? [`${field}.$`, source.path] : [field, source.value],
    ),
  );
}

/**
 * The container environment of a stage task, by the contract's codec: each input field in its
 * variable, rendered as text by `States.Format` (booleans as `true`/`false`).
 */
export function containerEnvironment(stage: StageName): tasks.TaskEnvironmentVariable[] {
  return Object.entries(stageInputSources(stage)).map(([field, source]) => ({
    name: STAGE_ENVIRONMENT[field as keyof StageInput].name,
    value:
      'path' in source
        ? sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(source.path))
        : source.value,
  }));
}

/**
 * The Lambda payload of a group's stage task: the extract starts from the group's tables with no
 * failure; each later stage from what the previous task handed on (`$.batch`).
 */
export function groupLambdaPayload(stage: StageName): Record<string, unknown> {
  const first = stage === 'extract';
  const sources: { [K in keyof GroupStageInput]-?: { path: string } | { value: unknown } } = {
    runId: { path: '$.runId' },
    group: { path: groupPath('group') },
    stage: { value: stage },
    tables: { path: first ? groupPath('tables') : `${BATCH_PATH}.tables` },
    failed: first ? { value: [] } : { path: `${BATCH_PATH}.failed` },
  };
  return Object.fromEntries(
    Object.entries(sources).map(([field, source]) =>
      'path' in source ? [`${field}.$`, source.path] : [field, source.value],
    ),
  );
}
