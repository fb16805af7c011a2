import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { CONNECTIONS, Secrets } from '../../infra/constructs/secrets';
import { bareStack, logicalIdOf } from '../helpers/bare-stack';

const { connections } = loadConfig({ env: {} }).pipeline;

function synth(secretIds: Partial<Record<(typeof CONNECTIONS)[number], string | undefined>>) {
  const stack = bareStack();
  const key = new kms.Key(stack, 'Key');
  const configured = structuredClone(connections) as PipelineConfig['connections'];
  for (const name of CONNECTIONS) configured[name].secret_id = secretIds[name];
  const secrets = new Secrets(stack, 'Secrets', { connections: configured, encryptionKey: key });
  return { stack, key, secrets, template: Template.fromStack(stack) };
}

describe('Secrets', () => {
  it('uses the secret each connection names, and creates none', () => {
    const { stack, secrets, template } = synth({
      source: 'clinic/source',
      replication: 'clinic/replica',
      analytics: 'clinic/analytics',
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const arn = (name: (typeof CONNECTIONS)[number]) =>
      JSON.stringify(stack.resolve(secrets.byConnection[name].secretArn));
    expect(arn('source')).toContain(':secret:clinic/source');
    expect(arn('replication')).toContain(':secret:clinic/replica');
    expect(arn('analytics')).toContain(':secret:clinic/analytics');
  });

  it('creates a placeholder encrypted with the key for a connection without secret_id', () => {
    const { stack, key, secrets, template } = synth({ source: 'clinic/source' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    for (const name of ['replication', 'analytics'] as const) {
      const created = template.findResources('AWS::SecretsManager::Secret', {
        Properties: {
          Description: `OpenDental ETL ${name} connection (fill in host, port, username, password)`,
          KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] },
        },
      });
      expect(Object.keys(created)).toHaveLength(1);
      expect(stack.resolve(secrets.byConnection[name].secretArn)).toEqual({
        Ref: Object.keys(created)[0],
      });
    }
    expect(JSON.stringify(stack.resolve(secrets.byConnection.source.secretArn))).toContain(
      ':secret:clinic/source',
    );
  });

  it('outputs what put-secret-value takes: the configured name, or the created secret’s ARN', () => {
    const { secrets, template } = synth({ source: 'clinic/source' });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.SourceSecretId?.Value).toBe('clinic/source');
    expect(outputs.ReplicationSecretId?.Value).toEqual({
      Ref: logicalIdOf(secrets.byConnection.replication as never),
    });
    expect(outputs.AnalyticsSecretId?.Value).toEqual({
      Ref: logicalIdOf(secrets.byConnection.analytics as never),
    });
  });
});
