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
  alert: 'AlertTableFailed',
  tableFailed: 'TableFailed',
  tableSucceeded: 'TableSucceeded',
  summarize: 'Summarize',
  notifySummary: 'NotifySummary',
  anyFailed: 'AnyTableFailed',
  fail: 'RunFailed',
  succeed: 'RunSucceeded',
} as const;
