import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load-config';
import { encodeStageEnvironment } from '../../contract/container-environment';
import {
  type PlannedTable,
  type RunPlan,
  STAGE_NAMES,
  StageOutputSchema,
} from '../../contract/stage';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { createPlanHandler } from '../../core/runtime';
import { LOCAL_MYSQL, LOCAL_PG } from '../helpers/local-databases';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';
import { buildImage, ensureNodeBase, imageFiles, inspectImage, runImage } from './container/podman';
import { type SecretsEndpoint, serveSecrets } from './container/secrets-endpoint';
import { type StageTaskAssembly, synthesizeStageTask } from './container/stage-task-assembly';

/**
 * The Fargate image, built and run for real with podman: built from the asset CDK stages (its
 * context, Dockerfile and build arguments from the cloud assembly) on a Debian base, then one
 * table's three stages run in it as the task definition runs them (its environment, read-only
 * root, writable /tmp) against this file's own databases, with the stage input encoded from a
 * real Plan item and the credentials read from a local Secrets Manager endpoint.
 */
const TABLE = 'patient';
const IMAGE = 'localhost/etl-stage-task:aws-test';
let fx: PipelineFixture;
let config: LoadedConfig;
let task: StageTaskAssembly;
let base: string;
let secrets: SecretsEndpoint;

beforeAll(async () => {
  fx = await createPipelineFixture('img');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 61, database: fx.names.source });
  await fx.reopen();
  // The table is routed to Fargate as the night's largest tables are.
  config = fx.writeConfig({ tables: `tables:\n  ${TABLE}: { runner: fargate }\n` });
  task = synthesizeStageTask(config.pipeline, config.tables);
  base = await ensureNodeBase();
  await buildImage({
    context: task.image.directory,
    dockerfile: task.image.dockerFile,
    tag: IMAGE,
    // The asset's own build arguments, and the test base (no registry is reachable here).
    buildArgs: { ...task.image.buildArgs, BASE: base },
  });
  const mysql = { host: LOCAL_MYSQL.host, port: LOCAL_MYSQL.port };
  secrets = await serveSecrets({
    [task.secretArns.source]: { ...mysql, username: LOCAL_MYSQL.user, password: '' },
    [task.secretArns.replication]: { ...mysql, username: LOCAL_MYSQL.user, password: '' },
    [task.secretArns.analytics]: {
      host: LOCAL_PG.host,
      port: LOCAL_PG.port,
      username: LOCAL_PG.user,
      password: '',
    },
  });
}, 900_000);

afterAll(async () => {
  await secrets?.close();
  task?.close();
  await fx?.close();
});

/** `podman run` flags of the task definition's container: read-only root, writable volumes. */
const taskFlags = () => [
  ...(task.container.readonlyRootFilesystem ? ['--read-only'] : []),
  ...task.container.writablePaths.flatMap((path) => ['--tmpfs', path]),
  ...(task.container.user ? ['--user', task.container.user] : []),
  // The databases and the Secrets Manager endpoint listen on the host's 127.0.0.1.
  '--network',
  'host',
];

describe('the image asset', () => {
  it('is built for ARM64, the task definition’s platform, from ecs-tasks/Dockerfile', () => {
    expect(task.image.platform).toBe('linux/arm64');
    expect(task.image.dockerFile).toBe('ecs-tasks/Dockerfile');
  });

  it('takes its base as a build argument, by default Node 22 from ECR Public; the last stage runs nothing', () => {
    const dockerfile = readFileSync(join(task.image.directory, task.image.dockerFile), 'utf8');
    expect(dockerfile).toMatch(/^ARG BASE=public\.ecr\.aws\/docker\/library\/node:22-slim$/m);
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^(--platform=\S+ )?\$\{BASE\}/);
    // Only the build stage runs commands, on the builder's platform: no emulation for ARM64.
    expect(stages[0]).toMatch(/^--platform=\$BUILDPLATFORM /);
    expect(stages.at(-1)).not.toMatch(/^RUN /m);
  });
});

describe('the image', () => {
  it('adds the compiled entrypoint to its base and nothing else: no TypeScript, tsx, CDK, faker or dev tools', async () => {
    const [files, baseFiles] = [await imageFiles(IMAGE), new Set(await imageFiles(base))];
    const added = files.filter((f) => !baseFiles.has(f)).map((f) => f.replace(/\/$/, ''));
    expect(added.sort()).toEqual(['app', 'app/main.mjs', 'app/main.mjs.map']);
    // Nor anywhere in the image: not in a node_modules, not as a Debian package of the base.
    const forbidden =
      /(node_modules|usr\/share\/nodejs)\/(aws-cdk-lib|aws-cdk|constructs|cdk-nag|@faker-js|tsx|typescript|esbuild|@esbuild|vitest|@vitest|@biomejs|aws-local-stepfunctions|dependency-cruiser)\//;
    expect(files.filter((f) => forbidden.test(f))).toEqual([]);

    const [image, baseImage] = [await inspectImage(IMAGE), await inspectImage(base)];
    expect(image.Config.Entrypoint).toEqual(['node', '/app/main.mjs']);
    // What the image adds to its base: the bundle and its source map, a few megabytes.
    const addedBytes = image.Size - baseImage.Size;
    console.log(
      `image ${(image.Size / 1e6).toFixed(0)} MB = base ${(baseImage.Size / 1e6).toFixed(0)} MB + ${(addedBytes / 1e6).toFixed(1)} MB`,
    );
    expect(addedBytes).toBeLessThan(15e6);
  });

  it('runs as a non-root user on the task’s read-only root file system, with a writable /tmp', async () => {
    expect((await inspectImage(IMAGE)).Config.User).toBe('1000:1000');
    const probe = `const fs = require('node:fs');
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
console.log(JSON.stringify({ uid: process.getuid(), root: tryWrite('/app/probe'), tmp: tryWrite('/tmp/probe') }));`;
    const run = await runImage(IMAGE, {
      flags: [...taskFlags(), '--entrypoint', 'node'],
      args: ['-e', probe],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ uid: 1000, root: 'EROFS', tmp: 'ok' });
  });
});

describe('a table’s three stages in the image', () => {
  let plan: RunPlan;
  let item: PlannedTable;

  beforeAll(async () => {
    plan = await createPlanHandler({
      config: async () => config.pipeline,
      overrides: async () => config.tables,
      logger: memoryLogger(),
    })({ tables: [TABLE], runId: 'img-1' });
    [item] = plan.tables as [PlannedTable];
  });

  /** The container of one stage: the task definition's environment and the stage's overrides. */
  const runStage = (stage: (typeof STAGE_NAMES)[number], table = item.table) =>
    runImage(IMAGE, {
      flags: taskFlags(),
      env: {
        ...task.container.environment,
        ...encodeStageEnvironment({
          runId: plan.runId,
          table,
          stage,
          mode: item.mode,
          strategy: item.strategy,
          reconcile: item.reconcile,
        }),
        ...secrets.environment(config.pipeline.aws.region),
      },
    });

  it('extracts, loads and transforms the Plan item, each exiting 0 with its output line', async () => {
    expect(item).toMatchObject({ table: TABLE, runner: 'fargate' });
    const mysqlRows = async (database: string) =>
      Number(
        (
          await fx.admin.queryArrays(
            `SELECT COUNT(*) FROM ${quoteMysql(database)}.${quoteMysql(TABLE)}`,
          )
        )[0]?.[0],
      );
    const sourceRows = await mysqlRows(fx.names.source);
    expect(sourceRows).toBeGreaterThan(0);

    for (const stage of STAGE_NAMES) {
      const run = await runStage(stage);
      expect(run.code, `${stage}: ${run.stderr}`).toBe(0);
      const lastLine = run.stdout.trim().split('\n').at(-1) ?? '';
      expect(StageOutputSchema.parse(JSON.parse(lastLine))).toMatchObject({
        table: TABLE,
        stage,
        status: 'succeeded',
        rows: sourceRows,
      });
    }

    const { raw, public: published } = config.pipeline.connections.analytics.schemas;
    const pgRows = async (schema: string) =>
      Number(
        (
          await fx.loadDeps.analytics.query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM ${quotePg(schema)}.${quotePg(TABLE)}`,
          )
        )[0]?.n,
      );
    expect([await mysqlRows(fx.names.replica), await pgRows(raw), await pgRows(published)]).toEqual(
      [sourceRows, sourceRows, sourceRows],
    );
  });

  it('read each connection’s credentials from Secrets Manager, signed for the task’s region', () => {
    const asked = new Set(secrets.requests.map((r) => `${r.operation} ${r.secretId}`));
    expect([...asked].sort()).toEqual(
      Object.values(task.secretArns)
        .map((arn) => `GetSecretValue ${arn}`)
        .sort(),
    );
    for (const { authorization } of secrets.requests) {
      expect(authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=\\w+/\\d{8}/${config.pipeline.aws.region}/secretsmanager/aws4_request`,
        ),
      );
    }
  });

  it('exits 1 with its error class as the last line on stderr when the stage fails', async () => {
    const run = await runStage('extract', 'no_such_table');
    expect(run.code).toBe(1);
    const failure = JSON.parse(run.stderr.trim().split('\n').at(-1) ?? '');
    expect(failure).toEqual({
      errorType: expect.stringMatching(/Error$/),
      errorMessage: expect.any(String),
    });
    expect(run.stdout).not.toMatch(/"status":"succeeded"/);
  });
});
