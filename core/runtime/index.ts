/**
 * The runtime: what the adapters (Lambda handlers, the Fargate entrypoint) and the control plane
 * (the local runner, the CLI) use of the core. `infra/`, `lambdas/` and `ecs-tasks/` reach the
 * core only through this module and the contract.
 */
export {
  type Alert,
  type AlertChannel,
  AlertNotDelivered,
  consoleChannel,
  deliverAlert,
} from '../alerts/alert';
export {
  fillTemplate,
  RUN_SUMMARY_SUBJECT,
  RUN_SUMMARY_TEMPLATE,
  runSummaryAlert,
  TABLE_FAILURE_SUBJECT,
  TABLE_FAILURE_TEMPLATE,
  tableFailureAlert,
} from '../alerts/alert-texts';
export { slackChannel, slackPayload } from '../alerts/slack-channel';
export {
  MYSQL_CHARSET,
  MYSQL_COLLATION,
  MYSQL_SESSION_TIME_ZONE,
  REPLICA_SQL_MODE,
} from '../db/mysql-session-settings';
export { consoleLogger } from '../logging/console-logger';
export type { LogFields, Logger } from '../logging/logger';
export { runDeadlineMinutes } from '../pipeline/run-lock';
export { StageSessionPool } from '../pipeline/session-pool';
export { CONTAINER_EXIT, RETRY_MAX_DELAY_SECONDS, runContainerStage } from './container-stage';
export {
  createRunGroupStageHandler,
  GROUP_RETRY_DELAY_MS,
  GROUP_TABLE_RETRIES,
  type GroupHandlerContext,
} from './group-handler';
export {
  createPlanHandler,
  createRunStageHandler,
  createSummarizeHandler,
  type HandlerContext,
} from './handlers';
export {
  configFromEnvironment,
  contextFromEnvironment,
  overridesFromEnvironment,
  type SecretReader,
} from './runtime-config';
