import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness';

/**
 * `--parallel` above `general.max_parallel_jobs` (what the deployment is sized for) is refused by
 * the Plan with a ConfigError naming the limit: exit 2 through the real binary, on every path.
 * The refusal comes before discovery, so the source here is MariaDB's own `mysql` schema (only
 * ever read), and the replica and analytics databases are unreachable: a run the Plan failed to
 * refuse could not create or write anything (it would end with exit 3).
 */
let dir: string;
const LIMIT = /parallel 3 is above general\.max_parallel_jobs \(2\), the most tables at once/;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'etl-parallel-limit-'));
  writeFileSync(
    join(dir, 'pipeline.yml'),
    `general: { parallel_jobs: 1, max_parallel_jobs: 2 }
connections:
  source: { database: mysql }
  replication: { database: etl_parallel_limit_unused, port: 1, connect_timeout_seconds: 2 }
  analytics: { database: etl_parallel_limit_unused, port: 1, connect_timeout_seconds: 2 }
aws: { state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:never-started" }
`,
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('run --parallel above general.max_parallel_jobs', () => {
  it('is refused by the Plan before a local run starts (exit 2)', async () => {
    const { code, out } = await runCli(dir, 'run', '--parallel', '3', '--config', 'pipeline.yml');
    expect(out).toMatch(LIMIT);
    expect(code).toBe(2);
  });

  it('is refused by the state machine’s Plan state on a dry run (exit 2)', async () => {
    const { code, out } = await runCli(
      dir,
      'run',
      '--dry-run',
      '--parallel',
      '3',
      '--config',
      'pipeline.yml',
    );
    expect(out).toMatch(/ConfigError/);
    expect(out).toMatch(LIMIT);
    expect(code).toBe(2);
  });

  it('is refused before an AWS execution is started (exit 2, no AWS call)', async () => {
    // No credentials and no endpoint: a call to Step Functions would fail with exit 1.
    const { code, out } = await runCli(
      dir,
      'run',
      '--target',
      'aws',
      '--parallel',
      '3',
      '--config',
      'pipeline.yml',
    );
    expect(out).toMatch(LIMIT);
    expect(out).not.toMatch(/Started/);
    expect(code).toBe(2);
  });
});
