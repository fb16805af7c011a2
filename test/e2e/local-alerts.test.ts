import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAlertSink } from '../../cli/local-alerts';
import { runLocalPipeline } from '../../cli/local-run';
import { plainProgress } from '../../cli/progress';
import { PipelineConfigSchema } from '../../config/schema';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { startAlertServers } from '../helpers/alert-servers';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

let fx: PipelineFixture;
let servers: Awaited<ReturnType<typeof startAlertServers>>;
const slack: unknown[] = [];
const mail: string[] = [];
let slackUrl: string;
let smtpPort: number;

beforeAll(async () => {
  servers = await startAlertServers(
    (body) => slack.push(JSON.parse(body)),
    (message) => mail.push(message),
  );
  ({ slackUrl, smtpPort } = servers);
  fx = await createPipelineFixture('al');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 61, database: fx.names.source });
});

afterAll(async () => {
  await servers.close();
  await fx?.close();
});

describe('alerts of local runs', () => {
  it('go to the console, a Slack webhook and e-mail, and a failed delivery is reported, not fatal', async () => {
    const lines: string[] = [];
    const config = PipelineConfigSchema.parse({
      alerts: {
        email: ['data-team@clinic.test'],
        slack_webhook_url: slackUrl,
        smtp: { host: '127.0.0.1', port: smtpPort, from: 'etl@clinic.test' },
      },
    });
    const sink = localAlertSink(config, (l) => lines.push(l));
    await sink({
      subject: 'OpenDental ETL: a table failed',
      message: 'Run r1: table claim failed in stage load with DeadlockError.',
    });
    expect(lines).toEqual([
      'ALERT OpenDental ETL: a table failed: Run r1: table claim failed in stage load with DeadlockError.',
    ]);
    expect(slack.at(-1)).toEqual({
      text: '*OpenDental ETL: a table failed*\nRun r1: table claim failed in stage load with DeadlockError.',
    });
    expect(mail.at(-1)).toMatch(/Subject: OpenDental ETL: a table failed/);
    expect(mail.at(-1)).toMatch(/To: data-team@clinic.test/);

    const unreachable = localAlertSink(
      PipelineConfigSchema.parse({ alerts: { slack_webhook_url: 'http://127.0.0.1:1/hook' } }),
      (l) => lines.push(l),
    );
    await unreachable({ subject: 's', message: 'm' });
    expect(lines.at(-1)).toBe('(Slack alert not delivered: webhook unreachable)');
  });

  it('a local run sends its summary to Slack and e-mail', async () => {
    const config = fx.writeConfig({
      extra: `alerts:
  email: [owner@clinic.test]
  slack_webhook_url: \${SLACK_URL}
  smtp: { host: 127.0.0.1, port: ${smtpPort}, from: etl@clinic.test }
`,
      env: { SLACK_URL: slackUrl },
    });
    const { dir } = config;
    const before = { slack: slack.length, mail: mail.length };
    const code = await runLocalPipeline(
      config,
      { tables: ['definition'] },
      plainProgress(() => {}),
      join(dir, 'logs'),
    );
    expect(code).toBe(0);
    expect(slack.slice(before.slack)).toEqual([
      {
        text: expect.stringMatching(
          /nightly run summary\*\nRun run-\S+ succeeded: 1 of 1 tables succeeded, 0 failed\./,
        ),
      },
    ]);
    expect(mail.slice(before.mail)).toHaveLength(1);
  });
});
