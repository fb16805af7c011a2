import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PipelineConfigSchema, TablesConfigSchema } from '../../config/schema';
import { schemaFields, secret, secretPaths, withoutSecrets } from '../../config/secret-fields';

const CANARY = 'https://hooks.example.com/services/Canary-Secret-31c9';

/** Names that smell of a credential; a field so named is marked secret or is one of these. */
const CREDENTIAL_NAME = /pass|secret|token|webhook|credential|api_?key|private/i;
/** Fields that name where a credential is kept (a Secrets Manager id), not the credential. */
const REFERENCES = ['secret_id', 'slack_webhook_secret_id'];

describe('credentials in the configuration schema', () => {
  it('marks every password and webhook URL of pipeline.yml secret', () => {
    expect(secretPaths(PipelineConfigSchema).map((p) => p.join('.'))).toEqual([
      'connections.source.password',
      'connections.replication.password',
      'connections.analytics.password',
      'alerts.slack_webhook_url',
      'alerts.smtp.password',
    ]);
    expect(secretPaths(TablesConfigSchema)).toEqual([]);
  });

  it('marks every field whose name looks like a credential, in both files, unless it only names a secret', () => {
    for (const schema of [PipelineConfigSchema, TablesConfigSchema]) {
      const unmarked = schemaFields(schema)
        .filter((f) => !f.secret)
        .map((f) => f.path.filter((k) => k !== '*'))
        .filter((p) => {
          const name = p[p.length - 1] ?? '';
          return CREDENTIAL_NAME.test(name) && !REFERENCES.includes(name);
        });
      expect(unmarked).toEqual([]);
    }
    // The check sees the fields: it finds the references it lets through.
    const names = schemaFields(PipelineConfigSchema).map((f) => f.path[f.path.length - 1]);
    expect(names).toEqual(expect.arrayContaining(REFERENCES));
  });

  it('finds marks behind defaults, optionals, unions, records and arrays', () => {
    const schema = z.strictObject({
      a: secret(z.string()).default(''),
      b: z.union([z.boolean(), z.strictObject({ key: secret(z.string()) })]).optional(),
      c: z.record(z.string(), z.strictObject({ token: secret(z.string()).optional() })),
      d: z.array(secret(z.string())).default([]),
      e: z.string(),
    });
    expect(secretPaths(schema).map((p) => p.join('.'))).toEqual(['a', 'b.key', 'c.*.token', 'd.*']);
    const value = schema.parse({
      a: CANARY,
      b: { key: CANARY },
      c: { x: { token: CANARY }, y: {} },
      d: [CANARY],
      e: 'kept',
    });
    const stripped = withoutSecrets(schema, value);
    expect(JSON.stringify(stripped)).not.toContain(CANARY);
    expect(stripped).toEqual({ b: {}, c: { x: {}, y: {} }, d: [], e: 'kept' });
    // The original is untouched.
    expect(value.a).toBe(CANARY);
  });
});

describe('withoutSecrets on pipeline.yml', () => {
  it('removes every credential, keeps everything else, and parses back to empty passwords', () => {
    const config = PipelineConfigSchema.parse({
      connections: {
        source: { host: 'od.clinic.internal', password: CANARY },
        replication: { password: CANARY },
        analytics: { password: CANARY, secret_id: 'clinic/analytics' },
      },
      alerts: {
        email: ['team@example.com'],
        slack_webhook_url: CANARY,
        smtp: { host: 'smtp.example.com', user: 'etl', password: CANARY, from: 'etl@example.com' },
      },
    });
    const stripped = withoutSecrets(PipelineConfigSchema, config);
    expect(JSON.stringify(stripped)).not.toContain(CANARY);
    const reparsed = PipelineConfigSchema.parse(stripped);
    expect(reparsed.connections.source).toMatchObject({ host: 'od.clinic.internal', password: '' });
    expect(reparsed.connections.analytics.secret_id).toBe('clinic/analytics');
    expect(reparsed.alerts).toEqual({
      email: ['team@example.com'],
      smtp: {
        host: 'smtp.example.com',
        port: 587,
        secure: false,
        user: 'etl',
        from: 'etl@example.com',
      },
    });
    expect(reparsed.general).toEqual(config.general);
    expect(config.connections.source.password).toBe(CANARY);
  });
});
