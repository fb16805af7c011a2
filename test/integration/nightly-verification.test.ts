import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import {
  type ExtractDeps,
  type ExtractResult,
  extractTable,
} from '../../core/extract/extract-table';
import {
  adminMysql,
  closeExtractDeps,
  differingChecksums,
  dropMysqlDatabases,
  openExtractDeps,
  testDatabaseName,
} from '../helpers/local-databases';

/**
 * Issue 16's guarantee, one change type at a time: after one incremental night, every change of
 * the day is in the replica, whatever the change column says, and the tables the source did not
 * write are not compared at all.
 */
const SOURCE = testDatabaseName('nv_src');
const REPLICA = testDatabaseName('nv_rep');
const TABLES = [
  'procedurelog',
  'appointment',
  'securitylog',
  'paysplit',
  'toothinitial',
  'definition',
  'commlog',
  'adjustment',
  'claimproc',
];
let admin: MysqlSession;
let deps: ExtractDeps;

const src = (table: string) => `${quoteMysql(SOURCE)}.${quoteMysql(table)}`;

function extract(runId: string, table: string, compareRows = 0): Promise<ExtractResult> {
  return extractTable(deps, { runId, table, mode: 'incremental', compareRows });
}

async function keys(table: string, key: string): Promise<number[]> {
  const rows = await admin.queryArrays(
    `SELECT ${quoteMysql(key)} FROM ${src(table)} ORDER BY ${quoteMysql(key)}`,
  );
  return rows.map((r) => Number(r[0]));
}

/** Sets the source session's clock (`SET timestamp`), or back to the server's (null). */
async function sourceClock(epoch: number | null): Promise<void> {
  await deps.source.execute(
    epoch === null ? 'SET SESSION timestamp = DEFAULT' : `SET SESSION timestamp = ${epoch}`,
  );
}

async function serverEpoch(): Promise<number> {
  const [row] = await admin.queryArrays('SELECT UNIX_TIMESTAMP()');
  return Number(row?.[0]);
}

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, REPLICA);
  await seedDemoClinic(admin, { scale: 'tiny', seed: 16, database: SOURCE });
  await admin.execute(`ALTER TABLE ${src('definition')} ENGINE=InnoDB`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
  deps = await openExtractDeps(SOURCE, REPLICA, 50);
  deps.settings.verification = { ...deps.settings.verification, clock_tolerance_seconds: 1 };
  // UPDATE_TIME has whole seconds and a tolerance: the seed is then clearly before the first run.
  await sleep(2100);
  for (const table of TABLES) await extract('r1', table);
}, 120_000);

afterAll(async () => {
  await closeExtractDeps(deps);
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.close();
});

describe('one incremental night after a day of changes', () => {
  const r2: Record<string, ExtractResult> = {};

  beforeAll(async () => {
    // An edit that keeps its stamp.
    await admin.execute(
      `UPDATE ${src('procedurelog')} SET ProcFee = ProcFee + 7, DateTStamp = DateTStamp WHERE ProcNum IN (2, 9)`,
    );
    // A backdated stamp: earlier than the last run's watermark.
    await admin.execute(
      `UPDATE ${src('appointment')} SET Note = CONCAT(Note, ' (moved)'), DateTStamp = '2001-02-03 04:05:06' WHERE AptNum = 3`,
    );
    // An edit to a row the append-only log already holds.
    await admin.execute(
      `UPDATE ${src('securitylog')} SET LogText = CONCAT(LogText, ' (amended)') WHERE SecurityLogNum = 4`,
    );
    // An unstamped insert paired with a delete: the row count does not move.
    const [max] = await admin.queryArrays(`SELECT MAX(SplitNum) FROM ${src('paysplit')}`);
    await admin.execute(
      `CREATE TEMPORARY TABLE split_copy AS SELECT * FROM ${src('paysplit')} WHERE SplitNum = 6`,
    );
    await admin.execute('UPDATE split_copy SET SplitNum = ?', [Number(max?.[0]) + 1]);
    await admin.execute(`INSERT INTO ${src('paysplit')} SELECT * FROM split_copy`);
    await admin.execute('DROP TEMPORARY TABLE split_copy');
    await admin.execute(`DELETE FROM ${src('paysplit')} WHERE SplitNum = 7`);
    // An edit to a table without a change column, on InnoDB.
    await admin.execute(`UPDATE ${src('definition')} SET ItemName = 'Renamed' WHERE DefNum = 1`);
    for (const table of ['procedurelog', 'appointment', 'securitylog', 'paysplit', 'toothinitial'])
      r2[table] = await extract('r2', table);
    r2.definition = await extract('r2', 'definition');
  }, 120_000);

  it('makes every change visible: kept and backdated stamps, append-table edits, insert + delete', async () => {
    expect(await differingChecksums(admin, SOURCE, REPLICA, TABLES)).toEqual([]);
    expect(r2.procedurelog).toMatchObject({ rowsUpdated: 2, verification: { compared: 'whole' } });
    expect(r2.appointment).toMatchObject({ rowsUpdated: 1, verification: { compared: 'whole' } });
    expect(r2.securitylog).toMatchObject({ rowsUpdated: 1, verification: { compared: 'whole' } });
    expect(r2.paysplit).toMatchObject({ rowsInserted: 1, rowsDeleted: 1 });
    expect(r2.definition).toMatchObject({ rowsUpdated: 1, verification: { compared: 'whole' } });
  });

  it('does not compare a table the source has not written since it was verified (MyISAM and InnoDB)', async () => {
    expect(r2.toothinitial?.verification).toMatchObject({
      compared: 'none',
      rowsCompared: 0,
      reason: expect.stringMatching(/^not written since /),
    });
    // Written within the tolerance of its last comparison (UPDATE_TIME has whole seconds):
    // compared once more, then left alone.
    await sleep(2100);
    expect((await extract('r3', 'definition')).verification).toMatchObject({ compared: 'whole' });
    const again = await extract('r4', 'definition');
    expect(again.verification).toMatchObject({ compared: 'none' });
  });

  it('says when each table was last fully verified', () => {
    expect(r2.procedurelog?.verification.verifiedThrough).toBe(r2.procedurelog?.watermark);
    expect(r2.procedurelog?.verification.boundNights).toBe(1);
  });
});

describe('a table over the size threshold', () => {
  it('is covered whole within its stated bound of nights, and its key set every night', async () => {
    const commlogKeys = await keys('commlog', 'CommlogNum');
    const share = Math.ceil(commlogKeys.length / 4);
    // Edits that keep their stamp, spread over the key space: first, middle and last rows.
    const edited = [
      commlogKeys[0],
      commlogKeys[Math.floor(commlogKeys.length / 2)],
      commlogKeys.at(-1),
    ];
    await admin.execute(
      `UPDATE ${src('commlog')} SET Note = CONCAT(Note, '.'), DateTStamp = DateTStamp WHERE CommlogNum IN (?)`,
      [edited],
    );
    // An unstamped insert paired with a delete: found the first night by the key-set check.
    await admin.execute(`DELETE FROM ${src('commlog')} WHERE CommlogNum = ?`, [commlogKeys[1]]);
    const nights: ExtractResult[] = [];
    nights.push(await extract('big-1', 'commlog', share));
    expect(nights[0]?.verification).toMatchObject({ compared: 'rolling', boundNights: 4 });
    expect(nights[0]?.rowsDeleted).toBe(1);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['commlog'])).toEqual(['commlog']);
    while ((await differingChecksums(admin, SOURCE, REPLICA, ['commlog'])).length > 0) {
      nights.push(await extract(`big-${nights.length + 1}`, 'commlog', share));
      expect(nights.length).toBeLessThanOrEqual(4);
    }
    expect(nights.reduce((n, r) => n + r.rowsUpdated, 0)).toBe(3);
    // The cycle completes within the bound: the table counts as fully verified again.
    while (nights.at(-1)?.verification.verifiedThrough === nights[0]?.verification.verifiedThrough)
      nights.push(await extract(`big-${nights.length + 1}`, 'commlog', share));
    expect(nights.length).toBeLessThanOrEqual(4);
  });
});

describe('a backdated stamp in a table over the size threshold', () => {
  it('is found the same night: every key’s stamp is compared, far outside the rolling slice', async () => {
    const procKeys = await keys('procedurelog', 'ProcNum');
    expect(procKeys.length).toBeGreaterThan(20);
    await extract('back-0', 'procedurelog', 5);
    await admin.execute(
      `UPDATE ${src('procedurelog')} SET ProcFee = ProcFee + 3, DateTStamp = '2002-03-04 05:06:07' WHERE ProcNum = ?`,
      [procKeys.at(-2)],
    );
    const night = await extract('back-1', 'procedurelog', 5);
    expect(night.verification).toMatchObject({ compared: 'rolling' });
    expect(night.rowsUpdated).toBe(1);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['procedurelog'])).toEqual([]);
  });
});

describe('the source clock', () => {
  it('stepped back since the last watermark: the timestamp window is widened', async () => {
    const adjustmentKeys = await keys('adjustment', 'AdjNum');
    const share = 5; // a slice far from the edited row: only the window can find it
    expect(adjustmentKeys.length).toBeGreaterThan(4 * share);
    // A write, so that the night with the clock ahead extracts the table (and records the clocks).
    await admin.execute(`UPDATE ${src('adjustment')} SET AdjAmt = AdjAmt + 1 WHERE AdjNum = ?`, [
      adjustmentKeys[0],
    ]);
    await sourceClock((await serverEpoch()) + 7200); // the source clock runs two hours ahead
    await extract('clock-1', 'adjustment', share);
    await sourceClock(null); // … and is stepped back
    await admin.execute(`UPDATE ${src('adjustment')} SET AdjAmt = AdjAmt + 1 WHERE AdjNum = ?`, [
      adjustmentKeys.at(-1),
    ]);
    const night = await extract('clock-2', 'adjustment', share);
    expect(night.verification.clock).toMatch(/stepped back \d+ s; timestamp window widened to /);
    // The window reaches back to the edit, stamped by the stepped-back clock (hours before the
    // watermark the clock-ahead night stored).
    const [[stamp]] = (await admin.queryArrays(
      `SELECT DATE_FORMAT(SecDateTEdit, '%Y-%m-%d %H:%i:%s') FROM ${src('adjustment')} WHERE AdjNum = ?`,
      [adjustmentKeys.at(-1)],
    )) as [[string]];
    const widenedTo = String(night.verification.clock?.split('widened to ')[1]);
    expect(widenedTo <= stamp).toBe(true);
    expect(night.verification.compared).toBe('rolling');
    expect(night.rowsUpdated).toBeGreaterThanOrEqual(1);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['adjustment'])).toEqual([]);
  });

  it('a change column ahead of the server clock: the table is compared whole that night', async () => {
    const claimprocKeys = await keys('claimproc', 'ClaimProcNum');
    expect(claimprocKeys.length).toBeGreaterThan(20);
    await extract('ahead-0', 'claimproc', 5);
    await admin.execute(`SET SESSION timestamp = ${(await serverEpoch()) + 86_400}`);
    await admin.execute(
      `UPDATE ${src('claimproc')} SET WriteOff = WriteOff + 1 WHERE ClaimProcNum = ?`,
      [claimprocKeys[0]],
    );
    await admin.execute('SET SESSION timestamp = DEFAULT');
    // Far from the rolling slice, an edit that kept its stamp.
    await admin.execute(
      `UPDATE ${src('claimproc')} SET Remarks = CONCAT(Remarks, '.'), SecDateTEdit = SecDateTEdit WHERE ClaimProcNum = ?`,
      [claimprocKeys.at(-1)],
    );
    const night = await extract('ahead-1', 'claimproc', 5);
    expect(night.verification).toMatchObject({
      compared: 'whole',
      reason: 'a change column is ahead of the source clock',
    });
    expect(night.verification.clock).toMatch(/ahead of the source clock/);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['claimproc'])).toEqual([]);
  });
});
