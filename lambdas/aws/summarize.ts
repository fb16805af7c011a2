import { contextFromEnvironment, createSummarizeHandler } from '../../core/runtime';
import { powertoolsLogger } from './powertools-logger';
import { readJsonSecret } from './secrets';

/** The Summarize step: closes the run in the run history and returns its summary. */
export const handler = createSummarizeHandler({
  ...contextFromEnvironment(process.env, readJsonSecret),
  logger: powertoolsLogger('etl-summary'),
});
