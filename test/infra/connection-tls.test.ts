import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import { writeCaFiles } from '../../ecs-tasks/ca-files';
import { buildApp } from '../../infra/build-app';
import { caCopyCommands, carriedCaFiles } from '../../infra/constructs/connection-tls';
import { synthesizeDefinition } from '../../infra/local/definition';
import { synthesizeStageTask } from '../aws/container/stage-task-assembly';
import { makeTestCertificates } from '../helpers/tls-certificates';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

/** A pipeline.yml (and its folder, with a CA beside it) loaded as the synth loads it. */
function configIn(connections: string) {
  const dir = tempDir('etl-connection-tls-');
  const certs = makeTestCertificates(dir);
  writeFileSync(join(dir, 'pipeline.yml'), `connections:\n${connections}`);
  return { dir, certs, config: loadConfig({ path: join(dir, 'pipeline.yml'), env: {}, cwd: dir }) };
}

function synthError(config: ReturnType<typeof configIn>['config']): string {
  let error: unknown = null;
  try {
    buildApp({ config, bundle: false, validateTemplates: false });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe('synth refuses a connection without verified TLS', () => {
  it('even to a loopback host in pipeline.yml: in AWS the host comes from the secret', () => {
    const { config } = configIn(
      '  source: { host: 127.0.0.1, tls: false }\n  analytics: { tls: { reject_unauthorized: false } }\n',
    );
    const message = synthError(config);
    expect(message).toMatch(
      /pipeline\.yml: connections\.source\.tls: plaintext \(tls: false\) in AWS, where every host \(from the connection’s secret\) is remote, is refused/,
    );
    expect(message).toMatch(
      /pipeline\.yml: connections\.analytics\.tls\.reject_unauthorized: TLS without certificate checks/,
    );
    expect(message).toContain('connections.source.allow_plaintext: true');
  });

  it('accepts it with allow_plaintext; a local run accepts plaintext to loopback without', () => {
    const allowed = configIn('  source: { tls: false, allow_plaintext: true }\n').config;
    expect(() =>
      buildApp({ config: allowed, bundle: false, validateTemplates: false }),
    ).not.toThrow();
    const local = configIn('  source: { host: 127.0.0.1, tls: false }\n').config;
    expect(synthesizeDefinition(local).States).toBeDefined();
  });

  it('names a ca_file that is missing or holds no certificate', () => {
    const missing = configIn('  analytics: { tls: { ca_file: nowhere/ca.pem } }\n');
    expect(synthError(missing.config)).toMatch(
      /^stage config: connections\.analytics\.tls\.ca_file: cannot read .*nowhere\/ca\.pem \(ENOENT\); synth copies it into the Lambda bundles and the Fargate image/,
    );
    const notPem = configIn('  source: { tls: { ca_file: server.csr } }\n');
    expect(synthError(notPem.config)).toMatch(
      /connections\.source\.tls\.ca_file: .*server\.csr holds no PEM certificate/,
    );
  });
});

describe('a configured CA file is carried to the runners', () => {
  const { certs, config } = configIn(
    '  source: { tls: { ca_file: ca.pem } }\n  analytics: { tls: { ca_file: ca.pem } }\n',
  );
  const pem = readFileSync(certs.caFile, 'utf8');

  it('into the image: the CA_FILES build argument, written beside the bundle by the build stage', () => {
    const task = synthesizeStageTask(config.pipeline, config.tables);
    try {
      const caFiles = task.image.buildArgs.CA_FILES;
      expect(JSON.parse(caFiles ?? '{}')).toEqual({
        'ca/source.pem': pem,
        'ca/analytics.pem': pem,
      });
      const out = tempDir('etl-ca-out-');
      expect(writeCaFiles(out, caFiles)).toEqual(['ca/source.pem', 'ca/analytics.pem']);
      expect(readFileSync(join(out, 'ca/analytics.pem'), 'utf8')).toBe(pem);
      // The task reads them there: its configuration names the copies, not the synth's paths.
      const runtime = JSON.parse(
        task.container.environment.PIPELINE_CONFIG ?? '',
      ) as PipelineConfig;
      expect(runtime.connections.source.tls).toEqual({
        ca_file: 'ca/source.pem',
        reject_unauthorized: true,
      });
      expect(runtime.connections.replication.tls).toBeUndefined();
    } finally {
      task.close();
    }
  });

  it('into the Lambda bundles: the afterBundling commands copy each file, whatever its path', () => {
    const dir = tempDir("etl ca 'quoted' ");
    mkdirSync(join(dir, 'bundle'));
    const odd = join(dir, "clinic's ca.pem");
    writeFileSync(odd, pem);
    const files = carriedCaFiles(config.pipeline).map((f) => ({ ...f, source: odd }));
    execFileSync('bash', ['-c', caCopyCommands(files, join(dir, 'bundle')).join(' && ')]);
    for (const name of ['source', 'analytics'])
      expect(readFileSync(join(dir, 'bundle', 'ca', `${name}.pem`), 'utf8')).toBe(pem);
    expect(caCopyCommands([], join(dir, 'bundle'))).toEqual([]);
  });

  it('the image build refuses a CA_FILES entry outside ca/', () => {
    const out = tempDir('etl-ca-out-');
    expect(() => writeCaFiles(out, JSON.stringify({ '../main.mjs': pem }))).toThrow(
      /unexpected path/,
    );
  });
});
