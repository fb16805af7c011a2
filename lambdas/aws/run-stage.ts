import type { GroupStageOutput, StageOutput } from '../../contract/stage';
import {
  contextFromEnvironment,
  createRunGroupStageHandler,
  createRunStageHandler,
  StageSessionPool,
} from '../../core/runtime';
import { publishStageMetrics, stageMetrics } from '../../ecs-tasks/stage-metrics';
import { powertoolsLogger } from './powertools-logger';
import { readJsonSecret } from './secrets';

const metrics = stageMetrics();
const context = {
  ...contextFromEnvironment(process.env, readJsonSecret),
  logger: powertoolsLogger('etl-stage'),
  // A warm container keeps its sessions for the next task of the run (pinged before reuse).
  sessionPool: new StageSessionPool(),
};
const runStage = createRunStageHandler(context);
const runGroupStage = createRunGroupStageHandler(context);

/**
 * One stage of one table, or of a group of tiny tables (its input names the `group`); rows,
 * bytes, duration and conversions of each table go to CloudWatch as EMF metrics.
 */
export async function handler(event: unknown): Promise<StageOutput | GroupStageOutput> {
  if (event && typeof event === 'object' && 'group' in event) {
    const output = await runGroupStage(event);
    for (const result of output.results) publishStageMetrics(metrics, result);
    return output;
  }
  const output = await runStage(event);
  publishStageMetrics(metrics, output);
  return output;
}
