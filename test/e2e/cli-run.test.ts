import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { differingChecksums } from '../helpers/local-databases';
import type { PipelineFixture } from '../helpers/pipeline-fixture';
import { closeCliClinic, createCliClinic, databaseExistsIn, runCli } from './cli-harness';

/**
 * The `run` command of the real binary: what it refuses, a run end to end, its exit codes and
 * options. The tests build on each other in order (the end-to-end run creates the databases the
 * later ones use). status, config show, test-connections and verify are in
 * cli-inspect-commands.test.ts.
 */
let fx: PipelineFixture;
let dir: string;
const cli = (...args: string[]) => runCli(dir, ...args);
const databaseExists = (name: string) => databaseExistsIn(fx, name);

beforeAll(async () => {
  ({ fx, dir } = await createCliClinic('cli'));
});

afterAll(async () => {
  await closeCliClinic(fx);
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
    // A first run copies both tables whole, each checked against the source range by range.
    expect(out).toMatch(
      /Verified against the source: 2 tables compared whole, 0 in rolling ranges, 0 not written since their last verification; 0 rows repaired\./,
    );
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
