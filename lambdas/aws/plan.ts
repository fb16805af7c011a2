import { createPlanHandler } from '../handlers';
import { configFromEnvironment, overridesFromEnvironment } from '../runtime-config';
import { powertoolsLogger } from './powertools-logger';

export const handler = createPlanHandler({
  config: () => configFromEnvironment(),
  overrides: () => overridesFromEnvironment(),
  logger: powertoolsLogger('etl-plan'),
});
