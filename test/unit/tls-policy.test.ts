import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import { PipelineConfigSchema } from '../../config/schema';
import { effectiveTls, isLoopbackHost } from '../../config/tls-policy';
import { ConfigError } from '../../contract/errors';
import { configFromEnvironment } from '../../core/runtime/runtime-config';

const CANARY = 'Canary-Tls-Secret-3318';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function load(pipeline: string, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'etl-tls-policy-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'pipeline.yml'), pipeline);
  return { dir, ...loadConfig({ path: join(dir, 'pipeline.yml'), env, cwd: dir }) };
}

function refusal(pipeline: string, env: NodeJS.ProcessEnv = {}): string {
  const error = (() => {
    try {
      load(pipeline, env);
      return null;
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe('loopback hosts', () => {
  it.each([
    '127.0.0.1',
    '127.45.6.7',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    'localhost',
    'LocalHost',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '10.0.0.5',
    '128.0.0.1',
    '::2',
    '::ffff:10.0.0.1',
    'db.clinic.lan',
    'localhost.clinic.lan',
    '127.0.0.1.nip.io',
  ])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('what `tls` means on the wire', () => {
  it('omitted: plaintext to loopback, verified TLS to any other host', () => {
    expect(effectiveTls({ host: '127.0.0.1' })).toEqual({ mode: 'plaintext' });
    expect(effectiveTls({ host: 'od.clinic.lan' })).toEqual({ mode: 'tls', verify: true });
  });

  it('true, false and the object mean the same to every host', () => {
    for (const host of ['127.0.0.1', 'od.clinic.lan']) {
      expect(effectiveTls({ host, tls: true })).toEqual({ mode: 'tls', verify: true });
      expect(effectiveTls({ host, tls: false })).toEqual({ mode: 'plaintext' });
      expect(
        effectiveTls({ host, tls: { ca_file: '/ca.pem', reject_unauthorized: false } }),
      ).toEqual({ mode: 'tls', verify: false, caFile: '/ca.pem' });
    }
  });

  it('the default configuration runs on loopback without TLS, unchanged', () => {
    const { pipeline } = load('');
    for (const connection of Object.values(pipeline.connections)) {
      expect(connection.tls).toBeUndefined();
      expect(effectiveTls(connection)).toEqual({ mode: 'plaintext' });
    }
  });
});

describe('config validate refuses plaintext to a remote host', () => {
  it('tls: false to a remote host: the file, line and column of the key, and what to do', () => {
    const message = refusal(
      'connections:\n  source:\n    host: od.clinic.lan\n    tls: false\n    password: x\n',
    );
    expect(message).toMatch(
      /pipeline\.yml:4:10 connections\.source\.tls: plaintext \(tls: false\) to a host that is not loopback is refused/,
    );
    expect(message).toContain('connections.source.allow_plaintext: true');
  });

  it('reject_unauthorized: false is refused at its own key; every connection is reported', () => {
    const message = refusal(
      `connections:
  replication: { host: 10.1.2.3, tls: false }
  analytics:
    host: \${WAREHOUSE_HOST}
    tls:
      reject_unauthorized: false
`,
      { WAREHOUSE_HOST: 'warehouse.clinic.lan' },
    );
    expect(message).toMatch(/pipeline\.yml:2:39 connections\.replication\.tls: plaintext/);
    expect(message).toMatch(
      /pipeline\.yml:6:28 connections\.analytics\.tls\.reject_unauthorized: TLS without certificate checks/,
    );
    expect(message).toContain('connections.analytics.allow_plaintext: true');
  });

  it('never quotes the host or a password back', () => {
    const message = refusal(
      `connections:\n  source: { host: od.clinic.lan, tls: false, password: ${CANARY} }\n`,
    );
    expect(message).not.toContain(CANARY);
    expect(message).not.toContain('od.clinic.lan');
  });

  it('accepts it with allow_plaintext, and plaintext to loopback without', () => {
    const allowed = load(
      'connections:\n  source: { host: od.clinic.lan, tls: false, allow_plaintext: true }\n  analytics: { host: localhost, tls: false }\n',
    );
    expect(allowed.pipeline.connections.source).toMatchObject({
      tls: false,
      allow_plaintext: true,
    });
    expect(allowed.pipeline.connections.analytics.tls).toBe(false);
  });

  it('reads a relative ca_file beside pipeline.yml, wherever the command runs', () => {
    const { dir, pipeline } = load(
      'connections:\n  source:\n    tls: { ca_file: ca/clinic.pem }\n',
    );
    expect(pipeline.connections.source.tls).toEqual({
      ca_file: join(dir, 'ca/clinic.pem'),
      reject_unauthorized: true,
    });
  });
});

describe('run in AWS: the secret’s host decides', () => {
  const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:source';
  const environment = (source: Record<string, unknown>, extra: NodeJS.ProcessEnv = {}) => ({
    ...extra,
    PIPELINE_CONFIG: JSON.stringify(
      PipelineConfigSchema.parse({ connections: { source: { ...source, secret_id: SECRET_ID } } }),
    ),
  });
  const secret = (host: string) => async () => ({ host, username: 'etl', password: CANARY });

  it('refuses tls: false once the secret points at a remote host, naming the key only', async () => {
    const error = await configFromEnvironment(
      environment({ tls: false }),
      secret('od.clinic.lan'),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^stage config, connection source: connections\.source\.tls: plaintext/,
    );
    expect(message).toContain('allow_plaintext');
    expect(message).not.toContain(CANARY);
    expect(message).not.toContain('od.clinic.lan');
  });

  it('accepts it with allow_plaintext, and TLS by default needs no setting', async () => {
    const allowed = await configFromEnvironment(
      environment({ tls: false, allow_plaintext: true }),
      secret('od.clinic.lan'),
    );
    expect(allowed.connections.source).toMatchObject({ host: 'od.clinic.lan', tls: false });
    const byDefault = await configFromEnvironment(environment({}), secret('od.clinic.lan'));
    expect(effectiveTls(byDefault.connections.source)).toEqual({ mode: 'tls', verify: true });
  });

  it('reads a bundled ca_file from the bundle’s directory: LAMBDA_TASK_ROOT, else the working directory', async () => {
    const tls = { ca_file: 'ca/source.pem' };
    const lambda = await configFromEnvironment(
      environment({ tls }, { LAMBDA_TASK_ROOT: '/var/task' }),
      secret('od.clinic.lan'),
    );
    expect(lambda.connections.source.tls).toEqual({
      ca_file: '/var/task/ca/source.pem',
      reject_unauthorized: true,
    });
    const task = await configFromEnvironment(environment({ tls }), secret('od.clinic.lan'));
    expect(task.connections.source.tls).toMatchObject({
      ca_file: join(process.cwd(), 'ca/source.pem'),
    });
  });
});
