import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { ROOT_DIR } from '../../infra/build-app';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';
import { buildImage, ensureNodeBase, podman, podmanEnv } from './container/podman';

/**
 * `etl-pipeline run --fargate-runner container`, end to end: the real binary runs the local state
 * machine, whose Fargate table runs in the stage image with podman (built here from the
 * repository, as docs/deploy.md says, on the Debian test base) and whose Lambda table runs
 * in-process, against this file's own databases.
 */
const FARGATE_TABLE = 'patient';
const LAMBDA_TABLE = 'procedurelog';
const IMAGE = 'localhost/etl-stage-task:e2e-test';
const BIN = join(ROOT_DIR, 'bin/etl-pipeline.mjs');
let fx: PipelineFixture;
let config: LoadedConfig & { dir: string };

beforeAll(async () => {
  fx = await createPipelineFixture('fcr');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 67, database: fx.names.source });
  await fx.reopen();
  config = fx.writeConfig({ tables: `tables:\n  ${FARGATE_TABLE}: { runner: fargate }\n` });
  const base = await ensureNodeBase();
  await buildImage({
    context: ROOT_DIR,
    dockerfile: 'ecs-tasks/Dockerfile',
    tag: IMAGE,
    buildArgs: { BASE: base },
  });
}, 900_000);

afterAll(async () => {
  await fx?.close();
});

/** The binary, as a user runs it: podman's settings come from the environment. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: config.dir,
      timeout: 280_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CONTAINERS_CONF: podmanEnv.CONTAINERS_CONF,
      },
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: Number(e.code ?? 1), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The containers podman started from an image since a moment (its event log). */
async function containersStarted(image: string, since: Date): Promise<string[]> {
  const events = await podman(
    'events',
    '--stream=false',
    '--since',
    String(Math.floor(since.getTime() / 1000)),
    '--filter',
    'event=start',
    '--format',
    'json',
  );
  return events
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { ID: string; Image: string })
    .filter((event) => event.Image === image)
    .map((event) => event.ID);
}

const count = async (sql: string) => Number((await fx.admin.queryArrays(sql))[0]?.[0]);

describe('etl-pipeline run --fargate-runner container', () => {
  it('runs the Fargate table’s three stages in the image and the Lambda table in-process', async () => {
    const since = new Date(Date.now() - 1000);
    const pipelineYml = join(config.dir, 'pipeline.yml');
    const tables = ['--tables', FARGATE_TABLE, LAMBDA_TABLE];
    const { code, out } = await cli(
      'run',
      '--fargate-runner',
      'container',
      '--fargate-image',
      IMAGE,
      ...tables,
      '--config',
      pipelineYml,
    );
    expect(code, out).toBe(0);
    for (const stage of ['extract', 'load', 'transform']) {
      expect(out).toMatch(new RegExp(`${FARGATE_TABLE}\\s+${stage}\\s+started \\(fargate\\)`));
      expect(out).toMatch(new RegExp(`${LAMBDA_TABLE}\\s+${stage}\\s+started \\(lambda\\)`));
    }
    expect(out).toMatch(/2 of 2 tables succeeded, 0 failed/);

    // One container per Fargate stage, each removed when it ended.
    const started = await containersStarted(IMAGE, since);
    expect(started).toHaveLength(3);
    const left = await podman('ps', '--all', '--quiet', '--filter', `ancestor=${IMAGE}`);
    expect(left.trim()).toBe('');

    // Every row of both tables reached the replica, raw and public.
    const { raw, public: published } = config.pipeline.connections.analytics.schemas;
    for (const table of [FARGATE_TABLE, LAMBDA_TABLE]) {
      const inMysql = (database: string) =>
        count(`SELECT COUNT(*) FROM ${quoteMysql(database)}.${quoteMysql(table)}`);
      const inPg = async (schema: string) =>
        Number(
          (
            await fx.loadDeps.analytics.query<{ n: string }>(
              `SELECT COUNT(*) AS n FROM ${quotePg(schema)}.${quotePg(table)}`,
            )
          )[0]?.n,
        );
      const source = await inMysql(fx.names.source);
      expect(source, table).toBeGreaterThan(0);
      expect(
        [await inMysql(fx.names.replica), await inPg(raw), await inPg(published)],
        table,
      ).toEqual([source, source, source]);
    }
  });

  it('refuses a missing image before the run starts, and starts no container', async () => {
    const since = new Date(Date.now() - 1000);
    const missing = 'localhost/etl-stage-task:does-not-exist';
    const { code, out } = await cli(
      'run',
      '--fargate-runner',
      'container',
      '--fargate-image',
      missing,
      '--tables',
      FARGATE_TABLE,
      '--config',
      join(config.dir, 'pipeline.yml'),
    );
    expect(code, out).toBe(2);
    expect(out).toContain(`image ${missing} not found`);
    expect(await containersStarted(missing, since)).toEqual([]);
  });
});
