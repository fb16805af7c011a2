import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { tableFailureAlert } from '../../core/alerts/alert-texts';
import { configFromEnvironment } from '../../core/runtime/runtime-config';
import { handler as notifySlack } from '../../lambdas/aws/notify-slack';
import { readJsonSecret } from '../../lambdas/aws/secrets';

const secrets = mockClient(SecretsManagerClient);
const CANARY = 'Canary-Secret-Pw-5521';

function environment(overrides: Record<string, unknown> = {}) {
  const config = PipelineConfigSchema.parse({
    connections: {
      source: { secret_id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:source' },
      analytics: { secret_id: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics' },
    },
    ...overrides,
  });
  return { PIPELINE_CONFIG: JSON.stringify(config) };
}

describe('runtime configuration in AWS', () => {
  beforeEach(() => {
    secrets.reset();
    clearCaches();
  });

  it('takes each connection’s credentials from its Secrets Manager secret', async () => {
    secrets
      .on(GetSecretValueCommand, {
        SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:source',
      })
      .resolves({
        SecretString: JSON.stringify({
          host: 'od.clinic.internal',
          port: 3307,
          username: 'etl_reader',
          password: CANARY,
        }),
      })
      .on(GetSecretValueCommand, {
        SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics',
      })
      .resolves({
        SecretString: JSON.stringify({
          host: 'warehouse.internal',
          username: 'etl',
          password: 'x',
          dbname: 'analytics',
        }),
      });
    const config = await configFromEnvironment(environment(), readJsonSecret);
    expect(config.connections.source).toMatchObject({
      host: 'od.clinic.internal',
      port: 3307,
      user: 'etl_reader',
      password: CANARY,
    });
    expect(config.connections.analytics).toMatchObject({
      host: 'warehouse.internal',
      database: 'analytics',
    });
    expect(config.connections.replication.host).toBe('127.0.0.1');
  });

  it('rejects a secret that is not the expected JSON, without echoing it', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ port: { nested: CANARY } }) });
    const error = await configFromEnvironment(environment(), readJsonSecret).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(CANARY);
  });

  it('requires PIPELINE_CONFIG', async () => {
    await expect(configFromEnvironment({}, readJsonSecret)).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('alerts', () => {
  it('name the table, stage and error class only, with a subject under 100 characters', () => {
    const alert = tableFailureAlert({
      runId: 'run-1',
      table: 'procedurelog',
      stage: 'load',
      error: 'ValidationError',
    });
    expect(alert.subject.length).toBeLessThan(100);
    expect(alert).toEqual({
      subject: 'OpenDental ETL: a table failed',
      message:
        'Run run-1: table procedurelog failed in stage load with ValidationError. The other tables go on; see etl-pipeline status.',
    });
  });

  it('the Slack notifier forwards SNS alerts with the webhook URL from Secrets Manager', async () => {
    secrets.reset();
    clearCaches();
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: 'https://hooks.slack.test/T000/B000/XXXX' });
    const fetchMock = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response('ok', { status: 200 }));
    process.env.SLACK_WEBHOOK_SECRET_ID = 'slack-webhook';
    try {
      await notifySlack({
        Records: [
          {
            Sns: {
              Subject: 'OpenDental ETL: a table failed',
              Message: 'Run r: table claim failed in stage load with DeadlockError.',
            },
          },
        ],
      } as never);
      expect(fetchMock).toHaveBeenCalledOnce();
      const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
      expect(url).toBe('https://hooks.slack.test/T000/B000/XXXX');
      expect(JSON.parse(String(init.body))).toEqual({
        text: '*OpenDental ETL: a table failed*\nRun r: table claim failed in stage load with DeadlockError.',
      });
    } finally {
      fetchMock.mockRestore();
      delete process.env.SLACK_WEBHOOK_SECRET_ID;
    }
  });
});

describe('stage metrics (EMF)', () => {
  it('publish rows, bytes, duration and conversions per table and stage, and no values', async () => {
    const { Metrics } = await import('@aws-lambda-powertools/metrics');
    const { publishStageMetrics } = await import('../../ecs-tasks/stage-metrics');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      publishStageMetrics(new Metrics({ namespace: 'OpenDentalEtl', serviceName: 'test' }), {
        table: 'patient',
        stage: 'load',
        status: 'succeeded',
        rows: 12,
        durationMs: 345,
        bytes: 6789,
        conversions: { zeroDateToNull: 2, nulStripped: 0 },
      });
    } finally {
      spy.mockRestore();
    }
    const emf = JSON.parse(lines.find((l) => l.includes('_aws')) ?? '{}');
    expect(emf).toMatchObject({
      table: 'patient',
      stage: 'load',
      Rows: 12,
      Bytes: 6789,
      Duration: 345,
      Conversions_zeroDateToNull: 2,
    });
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('OpenDentalEtl');
  });
});
