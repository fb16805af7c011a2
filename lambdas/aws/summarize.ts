import { createSummarizeHandler } from '../handlers';
import { configFromEnvironment, overridesFromEnvironment } from '../runtime-config';
import { powertoolsLogger } from './powertools-logger';

export const handler = createSummarizeHandler({
  config: () => configFromEnvironment(),
  overrides: () => overridesFromEnvironment(),
  logger: powertoolsLogger('etl-summary'),
});
