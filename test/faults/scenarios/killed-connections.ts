import { expect } from 'vitest';
import type { MysqlSession, PgSession } from '../../../core/db/ports';
import type { FaultBench } from '../fault-bench';
import { HookedPool, terminateFirstCopy, withStatementHook } from '../fault-injection';
import { expectConverged, expectRetriedOnce } from '../run-expectations';

/**
 * Connections killed in the middle of a stage (a real KILL CONNECTION, pg_terminate_backend),
 * injected through the run's session pool at a chosen statement.
 */

/** The source session killed at its third procedurelog statement of the extract. */
export async function killSourceConnectionDuringExtract(bench: FaultBench): Promise<void> {
  let seen = 0;
  let killed = false;
  const pool = new HookedPool((stage, role, session) =>
    stage === 'extract' && role === 'source'
      ? withStatementHook(session, async (sql) => {
          if (!killed && /procedurelog/.test(sql) && ++seen === 3) {
            killed = true;
            await bench.admin.execute(
              `KILL CONNECTION ${Number((session as MysqlSession).threadId)}`,
            );
          }
        })
      : undefined,
  );
  await expectRetriedOnce(bench, pool, 'LambdaExtract', () => killed);
}

/** The load's backend terminated in the middle of procedurelog's COPY. */
export async function terminateBackendMidCopy(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  let fired = false;
  const pool = new HookedPool((stage, role, session) =>
    stage === 'load' && role === 'analytics' && !fired
      ? terminateFirstCopy(session as PgSession, bench.pgAdmin, /procedurelog/, () => {
          fired = true;
        })
      : undefined,
  );
  await expectRetriedOnce(bench, pool, 'LambdaLoad', () => fired);
}

/** The transform's backend terminated at procedurelog's upsert. */
export async function terminateBackendDuringTransform(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  let fired = false;
  const pool = new HookedPool((stage, role, session) =>
    stage === 'transform' && role === 'analytics'
      ? withStatementHook(session, async (sql) => {
          if (!fired && /^\s*(WITH|INSERT INTO)\b.*"procedurelog"/s.test(sql)) {
            fired = true;
            await bench.pgAdmin.query('SELECT pg_terminate_backend($1)', [
              (session as PgSession).processId,
            ]);
          }
        })
      : undefined,
  );
  await expectRetriedOnce(bench, pool, 'LambdaTransform', () => fired);
}

/** The replica session killed at every procedurelog write, so the retries run out. */
export async function killReplicaConnectionOnEveryAttempt(bench: FaultBench): Promise<void> {
  await bench.dayOfChanges();
  const alerts: string[] = [];
  const pool = new HookedPool((stage, role, session) =>
    stage === 'extract' && role === 'replica'
      ? withStatementHook(session, async (sql) => {
          if (/procedurelog/.test(sql) && /^\s*(INSERT|REPLACE|LOAD DATA|DELETE)/.test(sql))
            await bench.admin.execute(
              `KILL CONNECTION ${Number((session as MysqlSession).threadId)}`,
            );
        })
      : undefined,
  );
  const result = await bench.run(undefined, {
    sessionPool: pool,
    alertSink: (alert) => {
      alerts.push(`${alert.subject} ${alert.message}`);
    },
  });
  expect(result.status).toBe('failed');
  expect(result.error).toBe('TablesFailed');
  expect(alerts.join('\n')).toMatch(/procedurelog failed in stage extract/);
  expect(alerts.join('\n')).toMatch(/ConnectionLostError/);
  await expectConverged(bench);
}
