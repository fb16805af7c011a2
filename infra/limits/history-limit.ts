import { ConfigError } from '../../contract/errors';
import { type Runner, RunnerSchema } from '../../contract/stage';
import { HISTORY_EVENT_LIMIT, worstCaseHistory } from './execution-history';
import type { AslDefinition } from './resolve-definition';

/** A run's worst-case Step Functions history, execution by execution. */
export interface RunHistory {
  /** Events of the run's own execution, with no table. */
  run: number;
  /** Events one table adds to the run's own execution, by runner: 0 when it is a child's. */
  perTable: Record<Runner, number>;
  /** Events of one table's child execution, by runner: 0 when the table runs in the run's own. */
  child: Record<Runner, number>;
  /** Events of a full group's child execution (`groupMaxTables` tables, each failing alone). */
  groupChild: number;
}

/** A group item of `tables` tables, as the Plan emits it (only its shape matters here). */
function sampleGroup(tables: number): unknown {
  const table = { table: 't', runner: 'lambda' };
  return {
    group: 'group-01',
    runner: 'lambda',
    tables: Array.from({ length: tables }, () => table),
  };
}

/**
 * The worst-case history of a run of `definition`, counted from its paths
 * (`execution-history.ts`); the Map iteration's runner Choice is decided by a sample item of each
 * runner.
 */
export function runHistory(definition: AslDefinition, groupMaxTables = 1): RunHistory {
  const run = worstCaseHistory(definition, []).events;
  const perTable = {} as Record<Runner, number>;
  const child = {} as Record<Runner, number>;
  for (const runner of RunnerSchema.options) {
    const one = worstCaseHistory(definition, [{ runner }]);
    perTable[runner] = one.events - run;
    child[runner] = one.childEvents;
  }
  const groupChild =
    groupMaxTables > 1
      ? worstCaseHistory(definition, [sampleGroup(groupMaxTables)]).childEvents
      : 0;
  return { run, perTable, child, groupChild };
}

/**
 * Refuses at synth a state machine one of whose executions could pass Step Functions' 25,000
 * history events, which would fail a run part-way with tables half done and the run lock held.
 * A run may have any number of tables (a clinic's own tables beyond OpenDental's, several
 * clinics), and nothing checks them before it starts: so the run's own history must not grow
 * with its tables (each table a child execution of a distributed Map), and the run's, each
 * table's and each group's (`runners.group_max_tables` tables) execution must stay under the
 * limit at `general.max_retries`.
 */
export function assertHistoryWithinLimit(
  definition: AslDefinition,
  maxRetries: number,
  groupMaxTables = 1,
): RunHistory {
  const history = runHistory(definition, groupMaxTables);
  const growth = Object.entries(history.perTable).filter(([, events]) => events > 0);
  if (growth.length > 0) {
    const perTable = growth.map(([runner, events]) => `${events} per ${runner} table`).join(', ');
    throw new Error(
      `the state machine writes each table's states into the run's own history (${perTable}), ` +
        `so a run with enough tables passes Step Functions' limit of ${HISTORY_EVENT_LIMIT} ` +
        'events and fails part-way: run each table as a child execution (a distributed Map)',
    );
  }
  const over = (what: string, events: number) =>
    new ConfigError(
      `general.max_retries ${maxRetries}: ${what} may write ${events} Step Functions history ` +
        `events, over the limit of ${HISTORY_EVENT_LIMIT} per execution (a run that reaches it ` +
        'fails part-way). Lower general.max_retries.',
      { stage: 'config' },
    );
  for (const [runner, events] of Object.entries(history.child)) {
    if (events > HISTORY_EVENT_LIMIT) {
      throw over(`a table on ${runner}, in its child execution,`, events);
    }
  }
  if (history.groupChild > HISTORY_EVENT_LIMIT) {
    throw over(`a group of ${groupMaxTables} tables, in its child execution,`, history.groupChild);
  }
  if (history.run > HISTORY_EVENT_LIMIT) throw over("a run's own execution", history.run);
  return history;
}
