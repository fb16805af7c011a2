import { configFromEnvironment, overridesFromEnvironment } from '../lambdas/runtime-config';
import { consoleLogger, runContainerStage } from './entrypoint';

/** Container entry (AWS and the local runner): configuration from the environment. */
if (process.env.ETL_EXIT_WITH_PARENT === '1') {
  // Run locally as a child: if the runner dies (even by SIGKILL), its end of stdin closes; stop too,
  // as Step Functions stops the task of an aborted execution.
  process.stdin.on('end', () => process.exit(137));
  process.stdin.resume();
}
const code = await runContainerStage(process.env, {
  config: () => configFromEnvironment(),
  overrides: () => overridesFromEnvironment(),
  logger: consoleLogger({ service: 'etl-stage-task' }),
});
process.exit(code);
