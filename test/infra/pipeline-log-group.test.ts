import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { PipelineLogGroup, retentionFor } from '../../infra/constructs/pipeline-log-group';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

describe('retentionFor', () => {
  it('keeps a retention CloudWatch accepts as it is', () => {
    expect(retentionFor(1)).toBe(logs.RetentionDays.ONE_DAY);
    expect(retentionFor(30)).toBe(logs.RetentionDays.ONE_MONTH);
    expect(retentionFor(3653)).toBe(logs.RetentionDays.TEN_YEARS);
  });

  it('rounds any other setting up to the next accepted retention, never down', () => {
    expect(retentionFor(2)).toBe(logs.RetentionDays.THREE_DAYS);
    expect(retentionFor(31)).toBe(logs.RetentionDays.TWO_MONTHS);
    expect(retentionFor(366)).toBe(logs.RetentionDays.THIRTEEN_MONTHS);
  });
});

describe('PipelineLogGroup', () => {
  it('is encrypted with the given key, kept for the given retention and retained on delete', () => {
    const stack = bareStack();
    const key = new kms.Key(stack, 'Key');
    new PipelineLogGroup(stack, 'Logs', {
      retention: logs.RetentionDays.TWO_MONTHS,
      encryptionKey: key,
    });
    Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 60, KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });
});
