import type { StageOutput } from '../../contract/stage';
import {
  contextFromEnvironment,
  createRunStageHandler,
  StageSessionPool,
} from '../../core/runtime';
import { publishStageMetrics, stageMetrics } from '../../ecs-tasks/stage-metrics';
import { powertoolsLogger } from './powertools-logger';
import { readJsonSecret } from './secrets';

const metrics = stageMetrics();
const runStage = createRunStageHandler({
  ...contextFromEnvironment(process.env, readJsonSecret),
  logger: powertoolsLogger('etl-stage'),
  // A warm container keeps its sessions for the next task of the run (pinged before reuse).
  sessionPool: new StageSessionPool(),
});

/** One stage of one table; rows, bytes, duration and conversions go to CloudWatch as EMF metrics. */
export async function handler(event: unknown): Promise<StageOutput> {
  const output = await runStage(event);
  publishStageMetrics(metrics, output);
  return output;
}
