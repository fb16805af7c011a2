import {
  GroupStageInputSchema,
  GroupStageOutputSchema,
  STAGE_NAMES,
  type StageName,
} from '../contract/stage';
import { STATE } from '../infra/constructs/state-names';
import type { RunStatus } from './run-status';

type StageLine = RunStatus['latest'][number];

/** What the history reader knows of one Task state's visit. */
export interface GroupTaskVisit {
  name: string;
  scheduled: Record<string, unknown> | null;
  enteredAt: number;
  endedAt: number | null;
  status: string;
  output: string | undefined;
  errorClass: string | null;
}

const STAGE_OF_GROUP_STATE = new Map<string, StageName>(
  STAGE_NAMES.map((s) => [STATE.group(s), s]),
);

/**
 * The lines of a group's stage task (`Group<Stage>`): one per table it ran, as a table's own task
 * would show it. From its output each table's rows, or its failure at this stage with the error
 * class; a task that failed as a whole (or is still running) shows each of its tables so. The
 * duration is the task's, shared by its tables.
 */
export function groupStageLines(visit: GroupTaskVisit, now: Date): StageLine[] {
  const stage = STAGE_OF_GROUP_STATE.get(visit.name);
  const input = GroupStageInputSchema.safeParse(visit.scheduled ?? {}).data;
  if (!stage || !input) return [];
  const durationMs = (visit.endedAt ?? now.getTime()) - visit.enteredAt;
  const output = GroupStageOutputSchema.safeParse(parse(visit.output)).data;
  return input.tables.map((t): StageLine => {
    if (!output || visit.status !== 'succeeded') {
      return {
        table: t.table,
        stage,
        status: visit.status,
        rows: null,
        durationMs,
        errorClass: visit.errorClass,
      };
    }
    const failure = output.failed.find((f) => f.table === t.table && f.stage === stage);
    const result = output.results.find((r) => r.table === t.table);
    return {
      table: t.table,
      stage,
      status: failure ? 'failed' : 'succeeded',
      rows: result?.rows ?? null,
      durationMs,
      errorClass: failure?.error ?? null,
    };
  });
}

function parse(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}
