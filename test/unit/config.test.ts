import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { configErrorOf, loadConfigText } from '../helpers/config-files';

const CANARY = 'Canary-Secret-7f3a9';

/** Writes pipeline.yml (and optionally tables.yml) into a fresh folder and loads it. */
const load = (pipeline: string, tables?: string, env: NodeJS.ProcessEnv = {}) =>
  loadConfigText(pipeline, { tables, env });

const configError = (pipeline: string, tables?: string, env: NodeJS.ProcessEnv = {}) =>
  configErrorOf(pipeline, { tables, env });

describe('configuration defaults', () => {
  it('an empty pipeline.yml gives the documented defaults', () => {
    const { pipeline, tables } = load('');
    expect(pipeline.general).toEqual({
      batch_size: 5000,
      parallel_jobs: 2,
      max_parallel_jobs: 2,
      max_retries: 3,
      retry_delay_seconds: 300,
    });
    expect(pipeline.stages.extract.timeout_minutes).toBe(30);
    expect(pipeline.stages.load.timeout_minutes).toBe(45);
    expect(pipeline.stages.transform.timeout_minutes).toBe(60);
    expect(pipeline.monitoring.metrics).toEqual({ collection_interval: 300, retention_days: 30 });
    expect(pipeline.connections.source).toMatchObject({
      host: '127.0.0.1',
      port: 3306,
      database: 'opendental_source',
    });
    expect(pipeline.connections.replication.database).toBe('opendental_replication');
    expect(pipeline.connections.analytics).toMatchObject({
      port: 5432,
      database: 'opendental_analytics',
      schemas: { raw: 'raw', public: 'public', meta: 'etl_meta' },
    });
    expect(pipeline.schedule.cron).toBe('0 1 * * ? *');
    expect(pipeline.aws.reserved_concurrency).toBe(false);
    expect(pipeline.aws.account).toBeUndefined();
    expect(tables).toEqual({});
  });

  it('general.max_parallel_jobs defaults to parallel_jobs, and may be higher', () => {
    expect(load('general:\n  parallel_jobs: 4\n').pipeline.general.max_parallel_jobs).toBe(4);
    const sized = load('general:\n  parallel_jobs: 2\n  max_parallel_jobs: 8\n').pipeline;
    expect(sized.general).toMatchObject({ parallel_jobs: 2, max_parallel_jobs: 8 });
  });

  it('the shipped config/pipeline.yml and tables.yml are valid and match the defaults', () => {
    const { pipeline, tables } = loadConfig({ env: {} });
    expect(pipeline.general.batch_size).toBe(5000);
    expect(pipeline.connections.source.database).toBe('opendental_source');
    expect(pipeline.connections.source.secret_id).toBe('opendental/source');
    expect(tables.securitylog?.strategy).toBe('append');
  });
});

describe('environment interpolation', () => {
  it('reads ${VAR} and ${VAR:-default}, and numbers from strings', () => {
    const { pipeline } = load(
      'connections:\n  source:\n    host: ${SRC_HOST}\n    port: ${SRC_PORT:-3307}\n    password: ${SRC_PW}\n',
      undefined,
      { SRC_HOST: 'db.clinic.local', SRC_PW: CANARY },
    );
    expect(pipeline.connections.source.host).toBe('db.clinic.local');
    expect(pipeline.connections.source.port).toBe(3307);
    expect(pipeline.connections.source.password).toBe(CANARY);
  });

  it('reports every missing variable at once, with file:line:col and key path', () => {
    const message = configError(
      'connections:\n  source:\n    host: ${MISSING_HOST}\n    password: ${MISSING_PW}\n  analytics:\n    user: ${MISSING_USER}\n',
    );
    expect(message).toMatch(
      /pipeline\.yml:3:11 connections\.source\.host: environment variable MISSING_HOST is not set/,
    );
    expect(message).toMatch(
      /pipeline\.yml:4:15 connections\.source\.password: environment variable MISSING_PW is not set/,
    );
    expect(message).toMatch(
      /pipeline\.yml:6:11 connections\.analytics\.user: environment variable MISSING_USER is not set/,
    );
    expect(message).toContain('3 problems');
  });
});

describe('configuration errors name file, line, column and key, never a value', () => {
  it('a wrong type', () => {
    const message = configError('general:\n  batch_size: lots\n');
    expect(message).toMatch(/pipeline\.yml:2:15 general\.batch_size: .*expected number/);
  });

  it('a wrong type in a secret-bearing section does not echo the value', () => {
    const message = configError(
      `connections:\n  source:\n    port: ${CANARY}\n    password: ${CANARY}\n`,
    );
    expect(message).toMatch(/pipeline\.yml:3:11 connections\.source\.port/);
    expect(message).not.toContain(CANARY);
  });

  it('an unknown key, with a did-you-mean hint', () => {
    const message = configError(`connections:\n  source:\n    pasword: ${CANARY}\n`);
    expect(message).toMatch(
      /pipeline\.yml:3:5 connections\.source\.pasword: unknown key \(did you mean "password"\?\)/,
    );
    expect(message).not.toContain(CANARY);
  });

  it('an unknown top-level key', () => {
    expect(configError('genral:\n  batch_size: 10\n')).toMatch(
      /pipeline\.yml:1:1 genral: unknown key \(did you mean "general"\?\)/,
    );
  });

  it('YAML syntax errors, without quoting the offending line', () => {
    const message = configError(`connections:\n  source:\n    password: "${CANARY}\n`);
    expect(message).toMatch(/pipeline\.yml:\d+:\d+ YAML syntax:/);
    expect(message).not.toContain(CANARY);
  });

  it('an invalid time zone and an out-of-range value', () => {
    const message = configError(
      'schedule:\n  timezone: Mars/Olympus\ngeneral:\n  parallel_jobs: 0\n',
    );
    expect(message).toMatch(/pipeline\.yml:2:13 schedule\.timezone: must be an IANA time zone/);
    expect(message).toMatch(/pipeline\.yml:4:18 general\.parallel_jobs:/);
  });

  it('parallel_jobs above max_parallel_jobs, and an account that is not 12 digits', () => {
    const message = configError(
      'general:\n  parallel_jobs: 6\n  max_parallel_jobs: 4\naws:\n  account: 12345\n',
    );
    expect(message).toMatch(
      /pipeline\.yml:2:18 general\.parallel_jobs: must not be above general\.max_parallel_jobs/,
    );
    expect(message).toMatch(/pipeline\.yml:5:12 aws\.account: must be a 12-digit AWS account id/);
    expect(load('aws:\n  account: 123456789012\n').pipeline.aws.account).toBe('123456789012');
  });

  it('tables.yml: unknown per-table key and bad strategy', () => {
    const message = configError(
      '',
      'tables:\n  patient:\n    priorty: 1\n  claim:\n    strategy: magic\n',
    );
    expect(message).toMatch(
      /tables\.yml:3:5 tables\.patient\.priorty: unknown key \(did you mean "priority"\?\)/,
    );
    expect(message).toMatch(/tables\.yml:5:15 tables\.claim\.strategy:/);
  });

  it('a table name that is not an identifier is rejected', () => {
    const message = configError('', 'tables:\n  "patient; DROP TABLE x":\n    exclude: true\n');
    expect(message).toMatch(
      /tables\.yml:2:3 tables\.patient; DROP TABLE x: invalid name: must be a plain identifier/,
    );
  });

  it('a missing --config file is a clear error', () => {
    expect(() => loadConfig({ path: '/nonexistent/pipeline.yml' })).toThrow(
      /configuration file not found/,
    );
  });
});
