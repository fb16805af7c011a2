import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { consoleLogger, contextFromEnvironment, runContainerStage } from '../core/runtime';
import { publishStageMetrics, stageMetrics } from './stage-metrics';

/**
 * The Fargate task's entry (in AWS, and as the local runner's child process): one stage of one
 * table, its input in the container environment, its configuration from the environment and
 * Secrets Manager. The exit code is the outcome: 0 ok, 75 gave up on a transient error (the state
 * machine relaunches the task), 1 failed. Its stage metrics are the Lambda stage's: one EMF line
 * on stdout, which the awslogs driver ships to CloudWatch Logs.
 */
if (process.env.ETL_EXIT_WITH_PARENT === '1') {
  // Run locally as a child: if the runner dies (even by SIGKILL), its end of stdin closes; stop too,
  // as Step Functions stops the task of an aborted execution.
  process.stdin.on('end', () => process.exit(137));
  process.stdin.resume();
}
const readSecret = (secretId: string) => getSecret(secretId, { transform: 'json', maxAge: 300 });
const metrics = stageMetrics();
const code = await runContainerStage(process.env, {
  ...contextFromEnvironment(process.env, readSecret),
  logger: consoleLogger({ service: 'etl-stage-task' }),
  onOutput: (output) => publishStageMetrics(metrics, output),
});
process.exit(code);
