import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { type ExtractDeps, extractTable } from '../../core/extract/extract-table';
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

/**
 * A table with every MySQL type OpenDental uses (and a few it does not), filled with the values
 * that break naive copies: extremes, -0, subnormals, NUL bytes, escapes, `\N` and `NULL` strings,
 * emoji, latin1, zero/partial/no dates, TIME beyond ±24 h, blobs with every byte.
 */
const ADVERSARIAL_DDL = `CREATE TABLE adversarial (
  id BIGINT(20) NOT NULL,
  i8 BIGINT(20) NULL, u8 BIGINT(20) UNSIGNED NULL, i4 INT(11) NULL, u4 INT(10) UNSIGNED NULL,
  i2 SMALLINT(6) NULL, u2 SMALLINT(5) UNSIGNED NULL, i1 TINYINT(4) NULL, u1 TINYINT(3) UNSIGNED NULL,
  b1 TINYINT(1) NULL, dbl DOUBLE NULL, flt FLOAT NULL, fltu FLOAT UNSIGNED NULL, dec1 DECIMAL(20,6) NULL,
  vc VARCHAR(255) NULL, ch CHAR(10) NULL, tx TEXT NULL, mt MEDIUMTEXT NULL, lt LONGTEXT NULL,
  latin VARCHAR(100) CHARACTER SET latin1 NULL, emoji VARCHAR(100) CHARACTER SET utf8mb4 NULL,
  d DATE NULL, dt DATETIME NULL, ts TIMESTAMP NULL DEFAULT NULL, tm TIME NULL, yr YEAR NULL,
  bl LONGBLOB NULL, vb VARBINARY(16) NULL, bt BIT(10) NULL, en ENUM('a','b','') NULL, st SET('x','y','z') NULL,
  PRIMARY KEY (id), KEY vc_prefix (vc(10))
) ENGINE=MyISAM DEFAULT CHARSET=utf8`;

const ROWS = [
  `(1, -9223372036854775808, 18446744073709551615, -2147483648, 4294967295, -32768, 65535, -128, 255, 2,
    1.7976931348623157e308, 3.4028235e38, 1.17549435e-38, -99999999999999.999999,
    'back\\\\slash\\ttab\\nLF\\rCR', 'ch', 'NUL\\0byte', '\\\\N', 'NULL', 'café Ñandú ß', '😀 dental 🦷',
    '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01', '-838:59:59', 1901,
    UNHEX('00FF7F80DEADBEEF0A0D09005C'), UNHEX('00'), b'1111111111', '', 'x,z')`,
  `(2, 9223372036854775807, 0, 2147483647, 0, 32767, 0, 127, 0, 0,
    -0e0, -0e0, 0, 0.000001,
    '', '', '', '', '', '', '',
    '0001-01-01', '0001-01-01 00:00:00', '2038-01-19 03:14:07', '838:59:59', 2155,
    '', '', b'0', 'a', '')`,
  `(3, 0, 1, 0, 1, 0, 1, 0, 1, 1, 5e-324, 1.4e-45, 16777217, 1.5,
    'O''Brien', 'Zoë', 'line1\\r\\nline2', REPEAT('x', 70000), REPEAT('long ', 100000), 'Å', 'Nguyễn',
    '2019-00-00', '2019-02-00 10:00:00', NULL, '00:00:00', 0,
    REPEAT(UNHEX('00'), 1000), UNHEX('5C4E'), b'0101010101', 'b', 'x,y,z')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  `(0, 42, 42, 42, 42, 42, 42, 42, 42, 1, 0.1, 0.1, 0.1, 0.1, 'key zero', 'k0', 'x', 'x', 'x', 'x', 'x',
    '2024-02-29', '2024-02-29 23:59:59', '2024-02-29 23:59:59', '-00:00:01', 2024, 'x', 'x', b'1', 'a', 'x')`,
];

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
