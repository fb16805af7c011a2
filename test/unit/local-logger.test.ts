import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalLogger } from '../../core/logging/local-logger';

describe('local log files', () => {
  it('write JSON lines with bindings, errors also to errors.log, and redact credential-named fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-logs-'));
    const logger = createLocalLogger({ dir, retentionDays: 30 }).child({
      runId: 'run-1',
      table: 'patient',
      stage: 'load',
    });
    logger.info('loaded', { rows: 3 });
    logger.error('stage failed', {
      errorClass: 'DeadlockError',
      password: 'Canary-Log-Pw',
    } as never);
    const pipeline = readFileSync(join(dir, 'pipeline.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(pipeline[0]).toMatchObject({
      level: 'info',
      msg: 'loaded',
      runId: 'run-1',
      table: 'patient',
      stage: 'load',
      rows: 3,
    });
    const errors = readFileSync(join(dir, 'errors.log'), 'utf8');
    expect(JSON.parse(errors)).toMatchObject({
      level: 'error',
      errorClass: 'DeadlockError',
      password: '[redacted]',
    });
    expect(errors).not.toContain('Canary-Log-Pw');
  });

  it('rotates an earlier day’s file and deletes rotated files past the retention', () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-logs-'));
    writeFileSync(join(dir, 'pipeline.log'), '{}\n');
    const yesterday = new Date(Date.UTC(2026, 10, 27, 12));
    utimesSync(join(dir, 'pipeline.log'), yesterday, yesterday);
    writeFileSync(join(dir, 'pipeline-2026-09-01.log'), '{}\n');
    createLocalLogger({ dir, retentionDays: 30, now: new Date(Date.UTC(2026, 10, 28, 9)) });
    expect(existsSync(join(dir, 'pipeline-2026-11-27.log'))).toBe(true);
    expect(existsSync(join(dir, 'pipeline-2026-09-01.log'))).toBe(false);
  });
});
