import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { quoteMysql } from '../../../core/db/identifiers';
import { createLocalLogger } from '../../../core/logging/local-logger';
import { CANARY, Emitted } from '../emitted-output';
import type { FaultBench } from '../fault-bench';

/**
 * The PHI and credential canaries: swept over everything the whole suite made the pipeline emit,
 * so these run last; and a self-check that the sweep does catch a leak.
 */

/** Every text the suite collected, log files included, searched for the canaries. */
export function sweepSuiteOutputForCanaries(bench: FaultBench): void {
  bench.collectLogFiles();
  const kinds = new Set(bench.emitted.texts.map((t) => t.where.replace(/ .*/, '')));
  // Everything was collected: log files, CLI output, task errors, alerts, metrics, config errors.
  for (const kind of ['log', 'cli', 'task', 'alert', 'metrics', 'config', 'run'])
    expect(kinds).toContain(kind);
  expect(readdirSync(join(bench.dir, 'logs')).length).toBeGreaterThan(0);
  expect(bench.emitted.leaks()).toEqual([]);
}

/** A log line carrying a canary row value, and one without. */
export async function catchRowValueInLogLine(bench: FaultBench): Promise<void> {
  const [row] = await bench.admin.query<{ LName: string; SSN: string }>(
    `SELECT LName, SSN FROM ${quoteMysql(bench.names.source)}.patient WHERE PatNum % 7 = 1 LIMIT 1`,
  );
  const dir = join(bench.dir, 'selfcheck');
  const logger = createLocalLogger({ dir, retentionDays: 1 });
  // The same kind of line the load writes, once as it is and once "changed" to carry the row.
  logger.info('stage done', { table: 'patient', stage: 'load', rows: 1 });
  logger.info('stage done', {
    table: 'patient',
    stage: 'load',
    rows: 1,
    lastName: row?.LName,
    ssn: row?.SSN,
  });
  logger.flush();
  const check = new Emitted();
  for (const file of readdirSync(dir))
    check.add(`log file ${file}`, readFileSync(join(dir, file), 'utf8'));
  expect(check.leaks().map((l) => l.needle)).toEqual(
    expect.arrayContaining([CANARY.lastName, CANARY.ssn]),
  );
  const clean = new Emitted();
  clean.add('log line', JSON.stringify({ msg: 'stage done', table: 'patient', rows: 1 }));
  expect(clean.leaks()).toEqual([]);
}
