import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { differingChecksums } from '../helpers/local-databases';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '../../bin/etl-pipeline.mjs');
let fx: PipelineFixture;
const CANARY = 'Canary-Cli-Secret-77d1';
let dir: string;

/** Runs the real binary as a child process; never throws, returns the exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: dir,
      timeout: 300_000,
      env: { PATH: process.env.PATH },
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: Number(e.code ?? 1), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function databaseExists(name: string): Promise<{ mysql: boolean; pg: boolean }> {
  const mysql = await fx.admin.query(
    'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [name],
  );
  const pg = await fx.pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return { mysql: mysql.length > 0, pg: pg.length > 0 };
}

beforeAll(async () => {
  fx = await createPipelineFixture('cli');
  await seedDemoClinic(fx.admin, { scale: 'tiny', seed: 51, database: fx.names.source });
  dir = mkdtempSync(join(tmpdir(), 'etl-cli-run-'));
  const yaml = (analyticsPort: number) => `connections:
  source: { database: ${fx.names.source} }
  replication: { database: ${fx.names.replica}_fresh }
  analytics: { database: ${fx.names.analytics}_fresh, port: ${analyticsPort}, connect_timeout_seconds: 3 }
`;
  writeFileSync(join(dir, 'pipeline.yml'), yaml(5432));
  writeFileSync(join(dir, 'unreachable.yml'), yaml(1));
  writeFileSync(
    join(dir, 'wrong-password.yml'),
    `connections:\n  source: { database: ${fx.names.source}, password: ${CANARY} }\n`,
  );
});

afterAll(async () => {
  await fx.admin.execute(`DROP DATABASE IF EXISTS \`${fx.names.replica}_fresh\``);
  await fx.pgAdmin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
    [`${fx.names.analytics}_fresh`],
  );
  await fx.pgAdmin.query(`DROP DATABASE IF EXISTS "${fx.names.analytics}_fresh"`);
  await fx?.close();
});

describe('etl-pipeline run (the real binary, local target)', () => {
  it('--dry-run prints the plan and writes nothing anywhere', async () => {
    const before = await fx.admin.query(
      `CHECKSUM TABLE \`${fx.names.source}\`.patient, \`${fx.names.source}\`.procedurelog EXTENDED`,
    );
    const { code, out } = await cli(
      'run',
      '--dry-run',
      '--tables',
      'patient',
      'procedurelog',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/dry run: nothing is written/);
    expect(out).toMatch(
      /^1\s+patient\s+\d+\s+lambda\s+incremental\s+timestamp \(change column DateTStamp\)$/m,
    );
    expect(await databaseExists(`${fx.names.replica}_fresh`)).toEqual({ mysql: false, pg: false });
    expect(await databaseExists(`${fx.names.analytics}_fresh`)).toEqual({
      mysql: false,
      pg: false,
    });
    expect(
      await fx.admin.query(
        `CHECKSUM TABLE \`${fx.names.source}\`.patient, \`${fx.names.source}\`.procedurelog EXTENDED`,
      ),
    ).toEqual(before);
  });

  it('rejects unknown and malformed table names before anything runs (exit 2), with suggestions', async () => {
    const unknown = await cli(
      'run',
      '--tables',
      'patients',
      'procedures',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/"patients" \(did you mean "patient"\?\)/);
    expect(unknown.out).toMatch(/"procedures" \(did you mean "procedurelog"\?\)/);
    const injection = await cli(
      'run',
      '--tables',
      'patient; DROP TABLE x',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(injection.code).toBe(2);
    expect(await databaseExists(`${fx.names.replica}_fresh`)).toEqual({ mysql: false, pg: false });
  });

  it('runs the selected tables end to end, with progress lines and a summary (exit 0)', async () => {
    const { code, out } = await cli(
      'run',
      '--tables',
      'patient',
      'definition',
      '--parallel',
      '1',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/patient\s+extract\s+done: [\d,]+ rows in [\d.]+ s \([\d,]+ rows\/s\)/);
    expect(out).toMatch(/definition\s+transform\s+done:/);
    expect(out).toMatch(/succeeded in [\d.]+ s: 2 of 2 tables succeeded, 0 failed/);
    expect(
      await differingChecksums(fx.admin, fx.names.source, `${fx.names.replica}_fresh`, [
        'patient',
        'definition',
      ]),
    ).toEqual([]);
    // JSON log lines, each stage line with its run id, table and stage; the dry run above wrote none.
    const lines = readFileSync(join(dir, 'logs', 'pipeline.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const stageLines = lines.filter((l) =>
      ['extracted', 'loaded', 'transformed'].includes(String(l.msg)),
    );
    expect(stageLines).toHaveLength(6);
    for (const line of stageLines) {
      expect(line).toMatchObject({
        runId: expect.stringMatching(/^run-/),
        table: expect.any(String),
        stage: expect.any(String),
      });
    }
    expect(readFileSync(join(dir, 'logs', 'errors.log'), 'utf8')).toBe('');
  });

  it('exits 3 when a database cannot be reached, and 2 on a bad option', async () => {
    const unreachable = await cli(
      'run',
      '--tables',
      'patient',
      '--config',
      join(dir, 'unreachable.yml'),
    );
    expect(unreachable.code).toBe(3);
    expect(unreachable.out).toMatch(/ConnectionRefusedError/);
    expect((await cli('run', '--parallel', 'many')).code).toBe(2);
  });

  it('status shows the last run and each table’s stages (table and JSON)', async () => {
    const json = await cli('status', '--format', 'json', '--config', join(dir, 'pipeline.yml'));
    expect(json.code).toBe(0);
    const status = JSON.parse(json.out) as {
      runs: { status: string; tablesTotal: number }[];
      latest: { table: string; stage: string; status: string }[];
    };
    expect(status.runs[0]).toMatchObject({ status: 'succeeded', tablesTotal: 2 });
    expect(status.latest.map((s) => `${s.table}:${s.stage}:${s.status}`)).toEqual([
      'definition:extract:succeeded',
      'definition:load:succeeded',
      'definition:transform:succeeded',
      'patient:extract:succeeded',
      'patient:load:succeeded',
      'patient:transform:succeeded',
    ]);
    const table = await cli('status', '--config', join(dir, 'pipeline.yml'));
    expect(table.out).toMatch(/Latest run: run-/);
    expect(table.out).toMatch(/patient\s+│ succeeded/);
  });

  it('config show prints the effective configuration with passwords masked', async () => {
    const { code, out } = await cli(
      'config',
      'show',
      '--section',
      'connections',
      '--config',
      join(dir, 'wrong-password.yml'),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/password: "\*\*\*\*\*\*\*\*"/);
    expect(out).not.toContain(CANARY);
  });

  it('test-connections proves the source session read-only, and names a failure without the password', async () => {
    const ok = await cli('test-connections', '--config', join(dir, 'pipeline.yml'));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ok\s+source\s+.*session read-only \(the server refused a write\)/);
    const bad = await cli('test-connections', '--config', join(dir, 'wrong-password.yml'));
    expect(bad.code).toBe(3);
    expect(bad.out).toMatch(/FAIL source\s+AuthenticationError/);
    expect(bad.out).not.toContain(CANARY);
  });

  it('verify reports equal tables (exit 0), then names a table whose raw copy lost a row (exit 1)', async () => {
    const equal = await cli(
      'verify',
      '--tables',
      'patient',
      'definition',
      '--all',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(equal.code).toBe(0);
    expect(equal.out).toMatch(/2 of 2 tables verified equal; 0 differ/);
    const { openPg } = await import('../../core/db/pg-adapter');
    const { LOCAL_PG } = await import('../helpers/local-databases');
    const pg = await openPg(
      { ...LOCAL_PG, database: `${fx.names.analytics}_fresh` },
      { label: 'test' },
    );
    try {
      await pg.query(
        'DELETE FROM raw.definition WHERE defnum = (SELECT min(defnum) FROM raw.definition)',
      );
    } finally {
      await pg.close();
    }
    const differs = await cli(
      'verify',
      '--tables',
      'patient',
      'definition',
      '--format',
      'json',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(differs.code).toBe(1);
    const report = JSON.parse(differs.out) as { table: string; ok: boolean; checksum: string }[];
    expect(report.filter((r) => !r.ok).map((r) => r.table)).toEqual(['definition']);
    expect(report.every((r) => r.checksum === 'equal')).toBe(true);
  });

  it('run --force copies in full and --reconcile reconciles; dbt-sources, discover and config validate work', async () => {
    const forced = await cli(
      'run',
      '--tables',
      'definition',
      '--force',
      '--reconcile',
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(forced.code).toBe(0);
    const status = JSON.parse(
      (
        await cli(
          'status',
          '--format',
          'json',
          '--limit',
          '1',
          '--config',
          join(dir, 'pipeline.yml'),
        )
      ).out,
    ) as {
      latest: { table: string; stage: string; rows: number }[];
    };
    expect(status.latest.find((s) => s.stage === 'load')?.rows).toBeGreaterThan(0);
    const dbt = await cli(
      'dbt-sources',
      '--output',
      join(dir, 'sources.yml'),
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(dbt.code).toBe(0);
    expect(readFileSync(join(dir, 'sources.yml'), 'utf8')).toMatch(/- name: definition/);
    const discover = await cli(
      'discover',
      '--logs',
      join(dir, 'discovery'),
      '--config',
      join(dir, 'pipeline.yml'),
    );
    expect(discover.code).toBe(0);
    expect(discover.out).toMatch(/422 tables discovered/);
    expect((await cli('config', 'validate', '--config', join(dir, 'pipeline.yml'))).code).toBe(0);
  });
});

describe('etl-pipeline run and tables.yml', () => {
  it('says so when a requested table is excluded in tables.yml (exit 2)', async () => {
    const excludedDir = mkdtempSync(join(tmpdir(), 'etl-cli-excl-'));
    writeFileSync(
      join(excludedDir, 'pipeline.yml'),
      `connections:\n  source: { database: ${fx.names.source} }\n`,
    );
    writeFileSync(join(excludedDir, 'tables.yml'), 'tables:\n  commlog: { exclude: true }\n');
    const { code, out } = await cli(
      'run',
      '--dry-run',
      '--tables',
      'commlog',
      '--config',
      join(excludedDir, 'pipeline.yml'),
    );
    expect(code).toBe(2);
    expect(out).toMatch(/excluded in tables.yml, so not run: commlog/);
  });
});
