import { afterAll, beforeAll, describe, it } from 'vitest';
import { createFaultBench, type FaultBench } from './fault-bench';
import {
  copyKeylessTableWhole,
  failFastOnUnreachableHost,
  failOnlyTheUnreadableTable,
  rejectBadConfigFiles,
  rejectMalformedTableNamesEverywhere,
} from './scenarios/bad-input';
import { catchRowValueInLogLine, sweepSuiteOutputForCanaries } from './scenarios/canary-sweep';
import {
  refuseSecondLocalRun,
  refuseWhileAnotherRunHoldsAnalytics,
} from './scenarios/concurrent-runs';
import {
  compareInnodbTableAfterSourceRestart,
  holdReplicaLockPastTimeout,
  restartMariadbMidExtract,
  restartPostgresMidLoad,
} from './scenarios/database-restarts';
import {
  killReplicaConnectionOnEveryAttempt,
  killSourceConnectionDuringExtract,
  terminateBackendDuringTransform,
  terminateBackendMidCopy,
} from './scenarios/killed-connections';
import { killCliRunnerMidTable, killFargateTaskMidTable } from './scenarios/killed-runners';
import { sendOnlyReadsToSource } from './scenarios/source-safety';

/**
 * The reliability suite: real faults against the real servers, through the very state machine
 * definition the stack deploys, each followed by a clean rerun and a full verification; bad input;
 * the run lock; source safety; and, over everything the suite made the pipeline emit, the PHI and
 * credential canaries. Scenarios run in order on one clinic (the analytics state carries over), so
 * they stay in this one file, on one bench; their steps and checks live in `./scenarios/`.
 */
let bench: FaultBench;

beforeAll(async () => {
  bench = await createFaultBench();
}, 300_000);

afterAll(async () => {
  await bench?.close();
});

describe('connections killed mid-stage, through the local state machine', () => {
  it('MariaDB KILL CONNECTION on the source during extract: retried, the run succeeds', () =>
    killSourceConnectionDuringExtract(bench));

  it('pg_terminate_backend mid-COPY during load: retried, the run succeeds', () =>
    terminateBackendMidCopy(bench));

  it('pg_terminate_backend during transform: retried, the run succeeds', () =>
    terminateBackendDuringTransform(bench));

  it('a connection killed on every attempt: the run fails loudly naming table and stage; the next run converges', () =>
    killReplicaConnectionOnEveryAttempt(bench));
});

describe('runner processes killed with SIGKILL mid-table', () => {
  it('the CLI runner: the next run marks the killed run interrupted and converges', () =>
    killCliRunnerMidTable(bench));

  it('the Fargate task process: the table fails naming its stage; the next run converges', () =>
    killFargateTaskMidTable(bench));
});

describe('database restarts and lock waits during a run', () => {
  it('MariaDB restarted mid-extract: transient failures are retried and the run converges', () =>
    restartMariadbMidExtract(bench));

  it('PostgreSQL restarted mid-load: transient failures are retried and the run converges', () =>
    restartPostgresMidLoad(bench));

  it('a lock wait timeout on the replica: retried once the lock is gone, no change lost', () =>
    holdReplicaLockPastTimeout(bench));

  it('an InnoDB source table written before a source restart: UPDATE_TIME is gone, the night compares it', () =>
    compareInnodbTableAfterSourceRestart(bench));
});

describe('bad input', () => {
  it('malformed YAML, wrong types and missing env vars: clear errors that echo no secret', () =>
    rejectBadConfigFiles(bench));

  it('injection-shaped and look-alike table names are rejected before any connection or SQL', () =>
    rejectMalformedTableNamesEverywhere(bench));

  it('a source user without SELECT on one table: that table fails clearly once written, the others go on', () =>
    failOnlyTheUnreadableTable(bench));

  it('an unreachable host: a fast, clear failure naming the connection, no hang', () =>
    failFastOnUnreachableHost(bench));

  it('a source table without a primary key: copied whole each run (documented fallback), equal everywhere', () =>
    copyKeylessTableWhole(bench));
});

describe('concurrent runs', () => {
  it('refuses while another run holds the analytics database, writing nothing', () =>
    refuseWhileAnotherRunHoldsAnalytics(bench));

  it('a second local run while one is in progress refuses; the first finishes alone', () =>
    refuseSecondLocalRun(bench));
});

describe('source safety', () => {
  it('sends only read statements to the source: no DDL, no DML, no temporary tables', () =>
    sendOnlyReadsToSource(bench));
});

describe('PHI and credential canaries', () => {
  it('appear in no log file, console output, error, alert or metric of the whole suite', () =>
    sweepSuiteOutputForCanaries(bench));

  it('self-check: a log line changed to print a row value is caught', () =>
    catchRowValueInLogLine(bench));
});
