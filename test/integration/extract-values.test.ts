import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { type ExtractDeps, extractTable } from '../../core/extract/extract-table';
import { ADVERSARIAL_DDL, ADVERSARIAL_ROWS as ROWS } from '../helpers/adversarial-table';
import {
  adminMysql,
  closeExtractDeps,
  differingChecksums,
  dropMysqlDatabases,
  openExtractDeps,
  testDatabaseName,
} from '../helpers/local-databases';

const SOURCE = testDatabaseName('xv_src');
const REPLICA = testDatabaseName('xv_rep');
let admin: MysqlSession;
let deps: ExtractDeps;

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.execute(`CREATE DATABASE ${quoteMysql(SOURCE)} CHARACTER SET utf8`);
  await admin.execute(`CREATE DATABASE ${quoteMysql(REPLICA)}`);
  await admin.execute(`USE ${quoteMysql(SOURCE)}`);
  // OpenDental writes non-strict: zero and partial dates, and key 0, are stored as given.
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
  await admin.execute(ADVERSARIAL_DDL);
  await admin.execute(`INSERT INTO adversarial VALUES ${ROWS.join(', ')}`);
  deps = await openExtractDeps(SOURCE, REPLICA, 2);
});

afterAll(async () => {
  await closeExtractDeps(deps);
  await dropMysqlDatabases(admin, SOURCE, REPLICA);
  await admin.close();
});

async function rowsAsHex(db: string): Promise<unknown[][]> {
  const [cols] = await admin.queryArrays(
    `SELECT GROUP_CONCAT(CONCAT('HEX(', QUOTE(COLUMN_NAME), ')') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'adversarial'`,
    [db],
  );
  const list = String(cols?.[0])
    .split(',')
    .map((c) => c.replace(/^HEX\('(.*)'\)$/, 'HEX(`$1`)'))
    .join(', ');
  return admin.queryArrays(
    `SELECT ${list}, CONCAT(dbl), CONCAT(CAST(flt AS DOUBLE)), CONCAT(tm), CONCAT(d), CONCAT(dt) FROM ${quoteMysql(db)}.adversarial ORDER BY id`,
  );
}

describe('values are copied exactly, byte for byte', () => {
  it('full copy (LOAD DATA path)', async () => {
    const result = await extractTable(deps, {
      runId: 'v1',
      table: 'adversarial',
      mode: 'incremental',
    });
    expect(result.rowsInserted).toBe(ROWS.length);
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['adversarial'])).toEqual([]);
    expect(await rowsAsHex(REPLICA)).toEqual(await rowsAsHex(SOURCE));
  });

  it('incremental upsert path (INSERT … ON DUPLICATE KEY UPDATE) after every row changed', async () => {
    await admin.execute(`DELETE FROM ${quoteMysql(REPLICA)}.adversarial WHERE id IN (1, 3)`);
    await admin.execute(
      `UPDATE ${quoteMysql(REPLICA)}.adversarial SET vc = 'stale', dbl = 1 WHERE id IN (0, 2, 4)`,
    );
    const result = await extractTable(deps, {
      runId: 'v2',
      table: 'adversarial',
      mode: 'incremental',
      reconcile: true,
    });
    expect(result).toMatchObject({
      strategy: 'reconcile',
      rowsInserted: 2,
      rowsUpdated: 3,
      rowsDeleted: 0,
    });
    expect(await differingChecksums(admin, SOURCE, REPLICA, ['adversarial'])).toEqual([]);
    expect(await rowsAsHex(REPLICA)).toEqual(await rowsAsHex(SOURCE));
  });

  it('keeps the prefix index and the source charsets', async () => {
    const [prefix] = await admin.query<{ SUB_PART: number }>(
      `SELECT SUB_PART FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'adversarial' AND INDEX_NAME = 'vc_prefix'`,
      [REPLICA],
    );
    expect(Number(prefix?.SUB_PART)).toBe(10);
    const charsets = await admin.query<{ COLUMN_NAME: string; CHARACTER_SET_NAME: string }>(
      `SELECT COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'adversarial' AND COLUMN_NAME IN ('latin', 'emoji', 'vc') ORDER BY COLUMN_NAME`,
      [REPLICA],
    );
    expect(charsets.map((c) => c.CHARACTER_SET_NAME)).toEqual(['utf8mb4', 'latin1', 'utf8mb3']);
  });
});
