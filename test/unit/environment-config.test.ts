import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertSelectedEnvironment,
  namesEnvironment,
  selectConfigPath,
  stackNameOf,
} from '../../config/environment';
import { loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';
import { loadConfigText } from '../helpers/config-files';

/** Loads pipeline.yml text from a fresh folder; returns the config or the ConfigError's message. */
function load(text: string) {
  try {
    return { config: loadConfigText(text) };
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { message: (error as Error).message };
  }
}

const PINNED = 'aws:\n  environment: qa\n  account: "123456789012"\n  region: eu-west-1\n';

describe('aws.environment in a pipeline file', () => {
  it('is optional: the default file names none, and its stack keeps aws.stack_name', () => {
    const { pipeline } = loadConfig({ env: {} });
    expect(pipeline.aws.environment).toBeUndefined();
    expect(stackNameOf(pipeline.aws)).toBe('OpenDentalEtl');
  });

  it('pins the account and region: a missing one is named with its file and line', () => {
    const { message } = load('aws:\n  environment: qa\n  region: eu-west-1\n');
    expect(message).toContain('pipeline.yml:2:3 aws.account: required with aws.environment');
    expect(message).not.toContain('aws.region');
    const both = load('aws:\n  environment: qa\n').message;
    expect(both).toContain('aws.account: required with aws.environment');
    // aws.region has a default: only the file as written tells that it was left out.
    expect(both).toContain('aws.region: required with aws.environment');
  });

  it('is a lower-case name (it becomes part of a file name and of the stack name)', () => {
    const { message } = load('aws:\n  environment: Prod\n  account: "123456789012"\n  region: x\n');
    expect(message).toMatch(/pipeline\.yml:2:16 aws\.environment: lower-case letters/);
  });

  it('is appended to the stack name', () => {
    const { config } = load(`${PINNED}  stack_name: Clinic\n`);
    expect(config?.pipeline.aws).toMatchObject({ environment: 'qa', region: 'eu-west-1' });
    expect(stackNameOf(config?.pipeline.aws ?? { stack_name: '' })).toBe('Clinic-qa');
  });

  it('requires every secret the file names to name the environment, with file and line', () => {
    const { message } = load(
      `${PINNED}connections:\n  source:\n    secret_id: opendental/qa/source\n  analytics:\n    secret_id: opendental/analytics\nalerts:\n  slack_webhook_secret_id: qa-slack\n`,
    );
    expect(message).toContain('(1 problem)');
    expect(message).toContain(
      'pipeline.yml:9:16 connections.analytics.secret_id: in environment qa, name a secret of qa, with qa as one part of its name',
    );
  });

  it('accepts the environment as any part of a secret id, not inside a word', () => {
    expect(namesEnvironment('opendental/prod/source', 'prod')).toBe(true);
    expect(namesEnvironment('prod-opendental-source', 'prod')).toBe(true);
    expect(namesEnvironment('opendental_source.prod', 'prod')).toBe(true);
    expect(namesEnvironment('opendental/production/source', 'prod')).toBe(false);
    expect(namesEnvironment('opendental/dev/source', 'prod')).toBe(false);
  });

  it('ships dev and prod files that load, pinned, with no secret in common', () => {
    const files = ['dev', 'prod'].map((name) =>
      loadConfig({ path: `config/pipeline.${name}.yml`, env: {} }),
    );
    const secretIds = files.map(
      ({ pipeline }) => new Set(Object.values(pipeline.connections).map((c) => c.secret_id)),
    );
    for (const [i, { pipeline, files: paths }] of files.entries()) {
      expect(pipeline.aws.environment).toBe(['dev', 'prod'][i]);
      expect(pipeline.aws.account).toMatch(/^\d{12}$/);
      // tables.yml is shared: the OpenDental schema is the same in every environment.
      expect(paths.tables).toMatch(/config\/tables\.yml$/);
    }
    expect([...(secretIds[0] ?? [])].filter((id) => secretIds[1]?.has(id))).toEqual([]);
    expect(files[0]?.pipeline.aws.account).not.toBe(files[1]?.pipeline.aws.account);
  });

  it('gives an operator’s CLI the connections from the environment (docs/deploy.md, step 10)', () => {
    const env = {
      OPENDENTAL_SOURCE_HOST: '192.168.10.20',
      OPENDENTAL_SOURCE_USER: 'etl_reader',
      OPENDENTAL_SOURCE_PASSWORD: 'from-the-secret',
      OPENDENTAL_SOURCE_PORT: '', // a secret without port: jq prints nothing
      OPENDENTAL_ANALYTICS_DB: 'analytics_prod',
    };
    const { source, analytics } = loadConfig({ path: 'config/pipeline.prod.yml', env }).pipeline
      .connections;
    expect(source).toMatchObject({
      host: '192.168.10.20',
      port: 3306,
      database: 'opendental',
      user: 'etl_reader',
      password: 'from-the-secret',
      secret_id: 'opendental/prod/source',
    });
    expect(analytics.database).toBe('analytics_prod');
  });
});

describe('choosing the file to synthesize', () => {
  it('reads CONFIG_PATH, else the selected environment’s file, else the default', () => {
    expect(selectConfigPath({})).toBeUndefined();
    expect(selectConfigPath({ environment: 'prod' })).toBe(join('config', 'pipeline.prod.yml'));
    expect(selectConfigPath({ configPath: 'x.yml' })).toBe('x.yml');
    expect(selectConfigPath({ environment: 'prod', configPath: 'x.yml' })).toBe('x.yml');
  });

  it('refuses a context value that is not an environment name before it becomes a path', () => {
    expect(() => selectConfigPath({ environment: '../secrets' })).toThrow(
      /-c env=\.\.\/secrets: an environment name is lower-case letters/,
    );
  });

  it('refuses a file that is not the selected environment’s, naming both', () => {
    expect(() => assertSelectedEnvironment('prod', { environment: 'dev' }, 'c/p.yml')).toThrow(
      /-c env=prod selects environment prod, but c\/p\.yml is for environment dev \(aws\.environment\)/,
    );
    expect(() => assertSelectedEnvironment('prod', {}, 'config/pipeline.yml')).toThrow(
      /but config\/pipeline\.yml names no environment/,
    );
    expect(() => assertSelectedEnvironment('prod', { environment: 'prod' }, 'p')).not.toThrow();
    expect(() => assertSelectedEnvironment(undefined, { environment: 'dev' }, 'p')).not.toThrow();
  });
});
