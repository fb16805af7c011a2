import { contextFromEnvironment, createPlanHandler } from '../../core/runtime';
import { powertoolsLogger } from './powertools-logger';
import { readJsonSecret } from './secrets';

/** The Plan step: discovery, the table plan and the run lock. */
export const handler = createPlanHandler({
  ...contextFromEnvironment(process.env, readJsonSecret),
  logger: powertoolsLogger('etl-plan'),
});
