// The stage metrics of both runners, in one place: the Lambda adapter (lambdas/aws/run-stage.ts)
// and the Fargate entrypoint (main.ts) emit the same metrics, so a table that moves between runners
// keeps one series per table and stage. The module sits beside the entrypoint because the image
// ships ecs-tasks/; the Lambda bundle follows its import.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { StageOutput } from '../contract/stage';

/** One per process; the same namespace and service (a dimension) for both runners. */
export function stageMetrics(): Metrics {
  return new Metrics({ namespace: 'OpenDentalEtl', serviceName: 'etl-stage' });
}

/**
 * Rows, bytes, duration and conversions of one stage, with dimensions `table` and `stage`, as one
 * EMF JSON line on stdout: Lambda's log, or the container's, which the awslogs driver ships to
 * CloudWatch Logs; CloudWatch extracts the metrics from either. Counts only, never a row value.
 */
export function publishStageMetrics(target: Metrics, output: StageOutput): void {
  target.addDimensions({ table: output.table, stage: output.stage });
  target.addMetric('Rows', MetricUnit.Count, output.rows);
  target.addMetric('Bytes', MetricUnit.Bytes, output.bytes);
  target.addMetric('Duration', MetricUnit.Milliseconds, output.durationMs);
  for (const [kind, count] of Object.entries(output.conversions))
    target.addMetric(`Conversions_${kind}`, MetricUnit.Count, count);
  target.publishStoredMetrics();
}
