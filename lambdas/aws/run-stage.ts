import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { StageOutput } from '../../contract/stage';
import {
  contextFromEnvironment,
  createRunStageHandler,
  StageSessionPool,
} from '../../core/runtime';
import { powertoolsLogger } from './powertools-logger';
import { readJsonSecret } from './secrets';

const metrics = new Metrics({ namespace: 'OpenDentalEtl', serviceName: 'etl-stage' });
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

export function publishStageMetrics(target: Metrics, output: StageOutput): void {
  target.addDimensions({ table: output.table, stage: output.stage });
  target.addMetric('Rows', MetricUnit.Count, output.rows);
  target.addMetric('Bytes', MetricUnit.Bytes, output.bytes);
  target.addMetric('Duration', MetricUnit.Milliseconds, output.durationMs);
  for (const [kind, count] of Object.entries(output.conversions))
    target.addMetric(`Conversions_${kind}`, MetricUnit.Count, count);
  target.publishStoredMetrics();
}
