import { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** What every log group of the pipeline shares: one retention and one key. */
export interface PipelineLogGroupProps {
  /** From `monitoring.metrics.retention_days`, rounded up by {@link retentionFor}. */
  readonly retention: logs.RetentionDays;
  readonly encryptionKey: kms.IKey;
}

/**
 * A log group of the pipeline: encrypted with the pipeline's key, kept for the configured
 * retention and retained when the stack is deleted, so removing the stack never erases run
 * history before its retention ends.
 */
export class PipelineLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: PipelineLogGroupProps) {
    super(scope, id, {
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

/** CloudWatch accepts only certain retention lengths: the nearest one at or above the setting. */
export function retentionFor(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}
