import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { stateMachineArn } from '../../cli/aws-target';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import { type BuildAppOptions, buildApp, ROOT_DIR } from '../../infra/build-app';
import { CONNECTIONS } from '../../infra/constructs/secrets';

/** `npx cdk synth -c env=<name>`, as the cdk CLI runs infra/app.ts (no bundling). */
function synth(context: Record<string, unknown>, options: BuildAppOptions = {}) {
  const { app, stack } = buildApp({
    bundle: false,
    validateTemplates: false,
    env: {},
    ...options,
    context,
  });
  const artifact = app.synth().getStackByName(stack.stackName);
  return { app, stack, artifact, template: Template.fromStack(stack) };
}

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** An environment's file without secret ids: the stack creates its placeholder secrets. */
function withPlaceholders(environment: string): LoadedConfig {
  const config = loadConfig({ path: `config/pipeline.${environment}.yml`, env: {} });
  for (const name of CONNECTIONS) delete config.pipeline.connections[name].secret_id;
  return config;
}

const secretNames = (template: Template) =>
  Object.values(template.findResources('AWS::SecretsManager::Secret'))
    .map((r) => r.Properties.Name as string)
    .sort();

describe('environments: -c env=dev and -c env=prod from one repository', () => {
  let dev: ReturnType<typeof synth>;
  let prod: ReturnType<typeof synth>;
  beforeAll(() => {
    dev = synth({ env: 'dev' });
    prod = synth({ env: 'prod' });
  });

  it('gives each environment its own stack, named after it', () => {
    expect(dev.stack.stackName).toBe('OpenDentalEtl-dev');
    expect(prod.stack.stackName).toBe('OpenDentalEtl-prod');
    const dashboards = [dev, prod].map(({ template }) =>
      Object.values(template.findResources('AWS::CloudWatch::Dashboard')).map(
        (d) => d.Properties.DashboardName,
      ),
    );
    expect(dashboards).toEqual([['OpenDentalEtl-dev-pipeline'], ['OpenDentalEtl-prod-pipeline']]);
  });

  it('pins each stack to the account and region of its file (cdk deploys it nowhere else)', () => {
    expect(dev.artifact.environment).toMatchObject({
      account: '111122223333',
      region: 'us-east-1',
      name: 'aws://111122223333/us-east-1',
    });
    expect(prod.artifact.environment.name).toBe('aws://444455556666/us-east-1');
  });

  it('synthesizes offline: cdk.context.json answers every lookup of the example environments', () => {
    // The cdk CLI passes cdk.context.json to the app; a question it cannot answer offline is a
    // lookup in the account, which fails without credentials.
    const cached = JSON.parse(readFileSync(join(ROOT_DIR, 'cdk.context.json'), 'utf8'));
    for (const env of ['dev', 'prod']) {
      const { app } = synth({ ...cached, env });
      expect(app.synth().manifest.missing ?? []).toEqual([]);
      // Without it, the stack of a pinned account asks for the account's availability zones.
      const asked = synth({ env }).app.synth().manifest.missing ?? [];
      expect(asked.map((m) => m.provider)).toEqual(['availability-zones']);
    }
  });

  it('reads each environment’s own secrets', () => {
    const arns = (built: typeof dev) =>
      CONNECTIONS.map((name) =>
        JSON.stringify(built.stack.resolve(built.stack.secrets.byConnection[name].secretArn)),
      );
    for (const [built, name] of [
      [dev, 'dev'],
      [prod, 'prod'],
    ] as const) {
      const own = arns(built);
      expect(
        own.every((arn) => arn.includes(`:secret:opendental/${name}/`)),
        own.join(),
      ).toBe(true);
    }
  });

  it('names the placeholder secrets it creates after the environment’s stack', () => {
    const [devNames, prodNames] = ['dev', 'prod'].map((name) =>
      secretNames(synth({ env: name }, { config: withPlaceholders(name) }).template),
    );
    expect(devNames).toEqual([
      'OpenDentalEtl-dev/analytics',
      'OpenDentalEtl-dev/replication',
      'OpenDentalEtl-dev/source',
    ]);
    expect(prodNames).toEqual(devNames?.map((n) => n.replace('-dev/', '-prod/')));
  });

  it('leaves the secrets of a stack without environment unnamed, as they were', () => {
    const config = loadConfig({ env: {} });
    for (const name of CONNECTIONS) delete config.pipeline.connections[name].secret_id;
    const names = secretNames(synth({}, { config }).template);
    expect(names).toEqual([undefined, undefined, undefined]);
  });

  it('outputs the operator policy’s ARN, and has 0 unacknowledged cdk-nag findings', () => {
    for (const built of [dev, prod]) {
      expect(Object.keys(built.template.findOutputs('OperatorPolicyArn'))).toHaveLength(1);
      built.template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
      // Attached by whoever operates: to no role, user or group of the stack.
      const [policy] = Object.values(built.template.findResources('AWS::IAM::ManagedPolicy'));
      expect(Object.keys(policy?.Properties ?? {}).sort()).toEqual([
        'Description',
        'Path',
        'PolicyDocument',
      ]);
    }
    for (const pack of [new AwsSolutionsChecks(prod.app), new HIPAASecurityChecks(prod.app)]) {
      const report = pack.validateScope(prod.stack) as { violations?: { ruleName: string }[] };
      expect((report.violations ?? []).map((v) => v.ruleName)).toEqual([]);
    }
  });

  it('lets the CLI find the same stack from the same file (one stack-name function)', async () => {
    const cfn = mockClient(CloudFormationClient);
    try {
      for (const built of [dev, prod]) {
        const name = built.stack.stackName;
        cfn.reset();
        cfn.on(DescribeStacksCommand, { StackName: name }).resolves({
          Stacks: [
            {
              StackName: name,
              StackId: `arn:aws:cloudformation:us-east-1:111122223333:stack/${name}/1`,
              CreationTime: new Date(),
              StackStatus: 'CREATE_COMPLETE',
              Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: `arn:${name}` }],
            },
          ],
        });
        const file = `config/pipeline.${name.endsWith('-dev') ? 'dev' : 'prod'}.yml`;
        const { pipeline } = loadConfig({ path: file, env: {} });
        expect(await stateMachineArn(pipeline, new CloudFormationClient({}))).toBe(`arn:${name}`);
      }
    } finally {
      cfn.restore();
    }
  });
});

describe('choosing the environment', () => {
  it('takes the file alone when CONFIG_PATH names an environment’s file without -c env', () => {
    const { stack } = synth({}, { env: { CONFIG_PATH: 'config/pipeline.prod.yml' } });
    expect(stack.stackName).toBe('OpenDentalEtl-prod');
  });

  it('refuses -c env and a CONFIG_PATH (or configuration) that disagree', () => {
    const message = configError(() =>
      synth({ env: 'prod' }, { env: { CONFIG_PATH: 'config/pipeline.dev.yml' } }),
    );
    expect(message).toContain(
      '-c env=prod selects environment prod, but config/pipeline.dev.yml is for environment dev',
    );
    expect(configError(() => synth({ env: 'prod' }, { config: loadConfig({ env: {} }) }))).toMatch(
      /but config\/pipeline\.yml names no environment/,
    );
  });

  it('refuses an environment without a file, and a file without account', () => {
    expect(configError(() => synth({ env: 'staging' }))).toContain(
      'configuration file not found: config/pipeline.staging.yml',
    );
    const dir = mkdtempSync(join(tmpdir(), 'etl-env-'));
    const path = join(dir, 'pipeline.qa.yml');
    writeFileSync(path, 'aws:\n  environment: qa\n  region: us-east-2\n');
    const message = configError(() => synth({ env: 'qa' }, { env: { CONFIG_PATH: path } }));
    expect(message).toMatch(/pipeline\.qa\.yml:2:3 aws\.account: required with aws\.environment/);
  });
});
