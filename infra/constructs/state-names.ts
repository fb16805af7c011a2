import type { StageName } from '../../contract/stage';

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** State names of the state machine: the local runner binds its handlers to these. */
export const STATE = {
  plan: 'Plan',
  dryRun: 'IsDryRun',
  planOnly: 'PlanOnly',
  map: 'Tables',
  /** The Choice on a Map item: a group of tiny tables, or one table by its runner. */
  runner: 'ChooseRunner',
  lambda: (stage: StageName) => `Lambda${capital(stage)}`,
  /** The `ecs:runTask.sync` Task state of a stage. */
  ecs: (stage: StageName) => `Fargate${capital(stage)}`,
  /** The Parallel around it, whose Retry relaunches the task (see `fargate-stage.ts`). */
  ecsLaunch: (stage: StageName) => `${capital(stage)}OnFargate`,
  /** The Choice that classifies a stopped task by the failure's Cause. */
  ecsStopped: (stage: StageName) => `Fargate${capital(stage)}Stopped`,
  ecsRelaunch: (stage: StageName) => `Fargate${capital(stage)}Relaunch`,
  ecsExited: (stage: StageName) => `Fargate${capital(stage)}Exited`,
  failed: (stage: StageName) => `${capital(stage)}Failed`,
  /** A group of tiny tables (`group-stage.ts`): one Lambda task per stage for all of them. */
  group: (stage: StageName) => `Group${capital(stage)}`,
  /** The group task failed as a whole (after its retries): each table it held fails there. */
  groupFailed: (stage: StageName) => `Group${capital(stage)}Failed`,
  groupLost: 'GroupTablesLost',
  groupLostAlert: 'AlertGroupTableLost',
  groupTableLost: 'GroupTableLost',
  groupFinished: 'GroupFinished',
  groupFailures: 'GroupTableFailures',
  groupFailureAlert: 'AlertGroupTableFailed',
  groupTableAlerted: 'GroupTableAlerted',
  groupOutcomes: 'GroupOutcomes',
  alert: 'AlertTableFailed',
  tableFailed: 'TableFailed',
  tableSucceeded: 'TableSucceeded',
  summarize: 'Summarize',
  notifySummary: 'NotifySummary',
  anyFailed: 'AnyTableFailed',
  fail: 'RunFailed',
  succeed: 'RunSucceeded',
} as const;
