import { expect } from 'vitest';
import { quoteMysql } from '../../../core/db/identifiers';
import { openMysql } from '../../../core/db/mysql-adapter';
import { openPg } from '../../../core/db/pg-adapter';
import type { FaultBench } from '../fault-bench';
import { replicaBusyWith, waitFor } from '../probes';
import { expectSurvivesRestart } from '../run-expectations';
import { restartMariadb, restartPostgres } from '../server-restarts';

/** The database servers restarted, and a lock held, while a run is working. */

/** MariaDB restarted while procedurelog's extract is running. */
export async function restartMariadbMidExtract(bench: FaultBench): Promise<void> {
  await expectSurvivesRestart(bench, 'LambdaExtract', async () => {
    await waitFor(() => replicaBusyWith(bench, 'procedurelog'), 60_000, 'the extract');
    await restartMariadb(bench);
  });
}

/** PostgreSQL restarted while procedurelog's load is running. */
export async function restartPostgresMidLoad(bench: FaultBench): Promise<void> {
  await expectSurvivesRestart(bench, 'LambdaLoad', () => restartPostgres(bench));
}

/** A replica lock held past innodb_lock_wait_timeout, released after the first failure. */
export async function holdReplicaLockPastTimeout(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  const [previous] = await bench.admin.queryArrays('SELECT @@GLOBAL.innodb_lock_wait_timeout');
  const holder = await openMysql(
    { ...bench.config.pipeline.connections.replication, user: 'root', password: '' },
    { label: 'test-lock-holder', readOnly: false },
  );
  const errors: string[] = [];
  try {
    await bench.admin.execute('SET GLOBAL innodb_lock_wait_timeout = 2');
    await holder.execute('START TRANSACTION');
    await holder.query(`SELECT COUNT(*) FROM ${quoteMysql('procedurelog')} FOR UPDATE`);
    const result = await bench.run(undefined, {
      wrapHandlers: (name, handler) =>
        name === 'LambdaExtract'
          ? async (input) => {
              try {
                return await handler(input);
              } catch (error) {
                errors.push((error as Error).name);
                await holder.execute('COMMIT');
                throw error;
              }
            }
          : handler,
    });
    expect(errors).toContain('LockWaitTimeoutError');
    expect(result.status, `${result.error}: ${result.cause}`).toBe('succeeded');
  } finally {
    await bench.admin.execute(`SET GLOBAL innodb_lock_wait_timeout = ${Number(previous?.[0])}`);
    await holder.close();
  }
  expect(await bench.differences()).toEqual([]);
}

/**
 * InnoDB keeps `UPDATE_TIME` in memory only: after a source restart it is NULL, which must read as
 * "compare", never as "unwritten". A definition row is edited in place on an InnoDB source table,
 * the source restarts, and the next night compares the table and repairs the edit.
 */
export async function compareInnodbTableAfterSourceRestart(bench: FaultBench): Promise<void> {
  const table = `${quoteMysql(bench.names.source)}.${quoteMysql('definition')}`;
  await bench.admin.execute(`ALTER TABLE ${table} ENGINE=InnoDB`);
  const first = await bench.run({ tables: ['definition'] });
  expect(first.status, `${first.error}: ${first.cause}`).toBe('succeeded');
  await bench.admin.execute(
    `UPDATE ${table} SET ItemName = CONCAT(ItemName, ' (restart)') WHERE DefNum = (SELECT MIN(DefNum) FROM (SELECT DefNum FROM ${table}) AS d)`,
  );
  await restartMariadb(bench);
  const [updated] = await bench.admin.queryArrays(
    'SELECT UPDATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [bench.names.source, 'definition'],
  );
  expect(updated?.[0]).toBeNull();
  const night = await bench.run({ tables: ['definition'] });
  expect(night.status, `${night.error}: ${night.cause}`).toBe('succeeded');
  const analytics = await openPg(bench.config.pipeline.connections.analytics, { label: 'check' });
  const [row] = await analytics
    .query<{ detail: { verification: { compared: string; reason: string } } }>(
      `SELECT detail FROM etl_meta.stage_results WHERE table_name = 'definition' AND stage = 'extract' ORDER BY recorded_at DESC LIMIT 1`,
    )
    .finally(() => analytics.close());
  expect(row?.detail.verification).toMatchObject({
    compared: 'whole',
    reason: 'UPDATE_TIME unknown (InnoDB: not kept across a restart)',
  });
  expect(await bench.differences()).toEqual([]);
}
