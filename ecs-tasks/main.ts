import { configFromEnvironment, overridesFromEnvironment } from '../lambdas/runtime-config';
import { consoleLogger, runContainerStage } from './entrypoint';

/** Container entry (AWS and the local runner): configuration from the environment. */
const code = await runContainerStage(process.env, {
  config: () => configFromEnvironment(),
  overrides: () => overridesFromEnvironment(),
  logger: consoleLogger({ service: 'etl-stage-task' }),
});
process.exit(code);
