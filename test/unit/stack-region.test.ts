import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../contract/errors';
import { buildApp } from '../../infra/build-app';
import { loadConfigText } from '../helpers/config-files';

/** A pipeline.yml for this test only (CONFIG_PATH of a synth). */
function file(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'etl-region-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipeline.yml'), yaml);
  return join(dir, 'pipeline.yml');
}
const regionOf = (yaml: string, env: NodeJS.ProcessEnv) =>
  loadConfigText(yaml, { env }).pipeline.aws.region;

describe('the stack’s region', () => {
  it('is aws.region when the file writes it, whatever the environment says', () => {
    expect(regionOf('aws:\n  region: eu-west-1\n', { AWS_REGION: 'ca-central-1' })).toBe(
      'eu-west-1',
    );
  });

  it('else comes from the environment: AWS_REGION, AWS_DEFAULT_REGION, CDK_DEFAULT_REGION, then us-east-1', () => {
    const all = {
      AWS_REGION: 'ca-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      CDK_DEFAULT_REGION: 'ap-southeast-2',
    };
    expect(regionOf('general:\n  batch_size: 100\n', all)).toBe('ca-central-1');
    expect(regionOf('', { ...all, AWS_REGION: '' })).toBe('eu-central-1');
    expect(regionOf('', { CDK_DEFAULT_REGION: 'ap-southeast-2' })).toBe('ap-southeast-2');
    expect(regionOf('', {})).toBe('us-east-1');
  });

  it('takes -c region=… at synth, for the existing VPC’s lookup too', () => {
    const path = file(
      "aws:\n  account: '210987654321'\n  network:\n    type: existing_vpc\n    vpc_id: vpc-0abc1234def567890\n    subnet_ids: [subnet-0aa01]\n",
    );
    const { app, stack } = buildApp({
      bundle: false,
      validateTemplates: false,
      env: { CONFIG_PATH: path },
      context: { region: 'eu-west-2' },
    });
    expect(stack.region).toBe('eu-west-2');
    expect(app.synth().manifest.missing?.[0]?.key).toContain(':region=eu-west-2:');
    expect(() =>
      buildApp({ bundle: false, env: { CONFIG_PATH: path }, context: { region: 'Mars; rm' } }),
    ).toThrow(ConfigError);
  });
});
