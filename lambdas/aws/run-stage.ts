import { createRunStageHandler } from '../handlers';
import { configFromEnvironment, overridesFromEnvironment } from '../runtime-config';
import { powertoolsLogger } from './powertools-logger';

export const handler = createRunStageHandler({
  config: () => configFromEnvironment(),
  overrides: () => overridesFromEnvironment(),
  logger: powertoolsLogger('etl-stage'),
});
