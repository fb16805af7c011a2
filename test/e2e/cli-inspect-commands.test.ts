import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineFixture } from '../helpers/pipeline-fixture';
import { CANARY, closeCliClinic, createCliClinic, runCli } from './cli-harness';

/**
 * The commands that report on a pipeline and its last run (status, config show,
 * test-connections, verify), against the real binary. They need a finished run: the set-up runs
 * patient and definition through the CLI, as the end-to-end test of cli-run.test.ts does.
 */
let fx: PipelineFixture;
let dir: string;
const cli = (...args: string[]) => runCli(dir, ...args);

beforeAll(async () => {
  ({ fx, dir } = await createCliClinic('clis'));
  const setUp = await cli(
    'run',
    '--tables',
    'patient',
    'definition',
    '--parallel',
    '1',
    '--config',
    join(dir, 'pipeline.yml'),
  );
  if (setUp.code !== 0) throw new Error(`the set-up run failed (exit ${setUp.code}): ${setUp.out}`);
});

afterAll(async () => {
  await closeCliClinic(fx);
});

describe('etl-pipeline run (the real binary, local target)', () => {
  it('status shows the last run and each table’s stages (table and JSON)', async () => {
    const json = await cli('status', '--format', 'json', '--config', join(dir, 'pipeline.yml'));
    expect(json.code).toBe(0);
    const status = JSON.parse(json.out) as {
      runs: { status: string; tablesTotal: number }[];
      latest: { table: string; stage: string; status: string; compared?: string | null }[];
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
    // A first run copies each table whole: compared whole, fully verified, bound of one night.
    expect(status.latest.filter((s) => s.stage === 'extract').map((s) => s.compared)).toEqual([
      'whole',
      'whole',
    ]);
    const table = await cli('status', '--config', join(dir, 'pipeline.yml'));
    expect(table.out).toMatch(/Latest run: run-/);
    expect(table.out).toMatch(/patient\s+│ succeeded/);
    expect(table.out).toMatch(/whole; \d{4}-\d\d-\d\d \d\d:\d\d:\d\d; 1 night/);
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
    for (const r of report as unknown as { lastFullyVerified: string; staleBoundNights: number }[])
      expect(r).toMatchObject({ lastFullyVerified: expect.any(String), staleBoundNights: 1 });
  });
});
