import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import { buildApp, ROOT_DIR } from '../../infra/build-app';
import { NothingToDeployError } from '../../infra/constructs/network';
import { synthesizeDefinition } from '../../infra/local/definition';
import { ACCOUNT, configWith, SUBNET_IDS, VPC_ID } from '../helpers/existing-vpc-context';

const EXISTING = { type: 'existing_vpc', vpc_id: VPC_ID, subnet_ids: SUBNET_IDS };
const OTHER = '111122223333';

function build(config: LoadedConfig, options: { env?: NodeJS.ProcessEnv; context?: object } = {}) {
  const { app, stack } = buildApp({
    config,
    bundle: false,
    validateTemplates: false,
    env: options.env ?? {},
    context: { ...options.context },
  });
  return { stack, assembly: app.synth() };
}

describe('the stack’s account: aws.account, then -c account=…, then CDK_DEFAULT_ACCOUNT', () => {
  it('takes aws.account before the context and the environment', () => {
    const { stack } = build(configWith(EXISTING, { account: ACCOUNT }), {
      context: { account: OTHER },
      env: { CDK_DEFAULT_ACCOUNT: OTHER },
    });
    expect(stack.account).toBe(ACCOUNT);
    expect(stack.region).toBe('us-east-1');
  });

  it('takes -c account=… before CDK_DEFAULT_ACCOUNT, and looks the VPC up there', () => {
    const { stack, assembly } = build(configWith(EXISTING), {
      context: { account: ACCOUNT },
      env: { CDK_DEFAULT_ACCOUNT: OTHER },
    });
    expect(stack.account).toBe(ACCOUNT);
    expect(assembly.manifest.missing?.[0]?.props).toMatchObject({ account: ACCOUNT });
  });

  it('takes CDK_DEFAULT_ACCOUNT (set by the cdk CLI) for an existing VPC when nothing else says', () => {
    const { stack } = build(configWith(EXISTING), { env: { CDK_DEFAULT_ACCOUNT: ACCOUNT } });
    expect(stack.account).toBe(ACCOUNT);
  });

  it('refuses an existing VPC without any account, saying what to set', () => {
    expect(() => build(configWith(EXISTING))).toThrow(ConfigError);
    expect(() => build(configWith(EXISTING))).toThrow(
      /existing_vpc looks the VPC up in an account, and none is known: set aws\.account .* -c account=<12 digits> .* CDK_DEFAULT_ACCOUNT/,
    );
    expect(() => build(configWith(EXISTING), { context: { account: '12345' } })).toThrow(
      /-c account=…: must be a 12-digit AWS account id/,
    );
  });

  it('keeps a new VPC’s stack account-agnostic, whatever credentials the cdk CLI found', () => {
    const { stack, assembly } = build(configWith({ type: 'new_vpc' }), {
      env: { CDK_DEFAULT_ACCOUNT: ACCOUNT },
    });
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(assembly.manifest.missing).toBeUndefined();
  });

  it('pins a new VPC’s stack to an account given in the config or the context: its zones are looked up', () => {
    for (const options of [{ aws: { account: ACCOUNT } }, { context: { account: ACCOUNT } }]) {
      const { stack, assembly } = build(configWith({ type: 'new_vpc' }, options.aws), options);
      expect(stack.account).toBe(ACCOUNT);
      expect(assembly.manifest.missing?.map((m) => m.provider)).toEqual(['availability-zones']);
    }
  });
});

describe('aws.network local', () => {
  it('has nothing to deploy: building the stack says so', () => {
    expect(() => build(configWith({ type: 'local' }))).toThrow(NothingToDeployError);
    expect(() => build(configWith({ type: 'local' }))).toThrow(
      /nothing to deploy: aws\.network\.type is local, which means the pipeline runs on a machine at the clinic/,
    );
  });

  it('makes `cdk synth` (infra/app.ts) stop with that message, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-local-network-'));
    writeFileSync(join(dir, 'pipeline.yml'), 'aws:\n  network:\n    type: local\n');
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: ROOT_DIR,
      env: { ...process.env, CONFIG_PATH: join(dir, 'pipeline.yml'), CDK_OUTDIR: dir },
    });
    await expect(run).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(
        /^ConfigError: .*nothing to deploy: aws\.network\.type is local/,
      ),
    });
    await run.catch((error: { stderr: string }) => {
      expect(error.stderr).not.toMatch(/\n\s+at /);
    });
  }, 60_000);

  it('does not stop the local runner: its definition builds on a placeholder VPC, with any topology', () => {
    for (const network of [{ type: 'local' }, EXISTING]) {
      const asl = synthesizeDefinition(configWith(network));
      expect(Object.keys(asl.States)).toContain('Tables');
    }
  });
});
