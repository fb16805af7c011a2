import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import { compareRawWithReplica } from '../helpers/compare-raw';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

let fx: PipelineFixture;

/** Every MySQL type, with the values that break loaders (see also extract-values.test.ts). */
const ADVERSARIAL = `CREATE TABLE adversarial (
  id BIGINT NOT NULL PRIMARY KEY,
  i8 BIGINT NULL, u8 BIGINT UNSIGNED NULL, i4 INT NULL, u4 INT UNSIGNED NULL, i2 SMALLINT NULL,
  u2 SMALLINT UNSIGNED NULL, i1 TINYINT NULL, u1 TINYINT UNSIGNED NULL, dbl DOUBLE NULL, flt FLOAT NULL,
  dec1 DECIMAL(20,6) NULL, vc VARCHAR(255) NULL, ch CHAR(10) NULL, tx TEXT NULL, lt LONGTEXT NULL,
  latin VARCHAR(100) CHARACTER SET latin1 NULL, emoji VARCHAR(100) CHARACTER SET utf8mb4 NULL,
  d DATE NULL, dt DATETIME NULL, ts TIMESTAMP NULL DEFAULT NULL, tm TIME NULL, yr YEAR NULL,
  bl LONGBLOB NULL, bt BIT(10) NULL, en ENUM('a','b','') NULL, st SET('x','y','z') NULL
) ENGINE=MyISAM DEFAULT CHARSET=utf8`;

const VALUES = `
 (1, -9223372036854775808, 18446744073709551615, -2147483648, 4294967295, -32768, 65535, -128, 255,
  1.7976931348623157e308, 3.4028235e38, -99999999999999.999999,
  'back\\\\slash\\ttab\\nLF\\rCR', 'ch', 'NUL\\0byte', '\\\\N', 'café Ñandú ß', '😀 dental 🦷',
  '0000-00-00', '0000-00-00 00:00:00', '1970-01-01 00:00:01', '-838:59:59', 1901,
  UNHEX('00FF7F80DEADBEEF0A0D09005C'), b'1111111111', '', 'x,z'),
 (2, 9223372036854775807, 0, 2147483647, 0, 32767, 0, 127, 0, -0e0, -0e0, 0.000001,
  'NULL', '', '', '', '', '', '0001-01-01', '0001-01-01 00:00:00', '2038-01-19 03:14:07', '838:59:59', 2155,
  '', b'0', 'a', ''),
 (3, 0, 1, 0, 1, 0, 1, 0, 1, 5e-324, 1.4e-45, 1.5, 'O''Brien', 'Zoë', 'line1\\r\\nline2', REPEAT('long ', 50000),
  'Å', 'Nguyễn', '2019-00-00', '2019-02-30 10:00:00', NULL, '25:00:00', 0, REPEAT(UNHEX('00'), 1000), b'0101010101', 'b', 'x,y,z'),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

beforeAll(async () => {
  fx = await createPipelineFixture('lv');
  await fx.admin.execute(`CREATE DATABASE ${quoteMysql(fx.names.source)} CHARACTER SET utf8`);
  await fx.admin.execute(`USE ${quoteMysql(fx.names.source)}`);
  await fx.admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
  await fx.admin.execute(ADVERSARIAL);
  await fx.admin.execute(`INSERT INTO adversarial VALUES ${VALUES}`);
  await fx.admin.execute(
    'CREATE TABLE prop (id INT PRIMARY KEY, s TEXT CHARACTER SET utf8mb4, b LONGBLOB, i BIGINT, u BIGINT UNSIGNED, f DOUBLE, d DATE, dt DATETIME) ENGINE=InnoDB',
  );
  await fx.reopen();
});

afterAll(async () => {
  await fx?.close();
});

describe('adversarial values', () => {
  it('reach raw unchanged, except zero/partial/impossible dates (NULL) and NUL bytes (removed), both counted', async () => {
    await fx.extract('adversarial', 'e1');
    const result = await fx.load('adversarial', 'l1');
    expect(result.rowsCopied).toBe(4);
    // Row 1: two zero dates; row 3: a partial date and an impossible one. Row 1 has one NUL.
    expect(result.conversions).toEqual({ zeroDateToNull: 4, nulStripped: 1 });
    expect(
      await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, [
        'adversarial',
      ]),
    ).toEqual([]);
  });

  it('keeps the extremes PostgreSQL can hold, exactly', async () => {
    const [row] = await fx.loadDeps.analytics.query<Record<string, string>>(
      `SELECT u8::text, dbl::text, (1/dbl::float8 < 0)::text AS neg_zero, tm::text, tx, ch, yr::text, bt::text, st::text, bl::text FROM raw.adversarial WHERE id IN (1) UNION ALL
       SELECT u8::text, dbl::text, (dbl = 0 AND 1/NULLIF(dbl, 0) IS NULL)::text, tm::text, tx, ch, yr::text, bt::text, st::text, substr(bl::text, 1, 6) FROM raw.adversarial WHERE id = 2`,
    );
    expect(row).toMatchObject({
      u8: '18446744073709551615',
      dbl: '1.7976931348623157e+308',
      tm: '-838:59:59',
      tx: 'NULbyte',
      yr: '1901',
      bt: '1111111111',
      st: '{x,z}',
      bl: '\\x00ff7f80deadbeef0a0d09005c',
    });
  });
});

describe('property: any value MySQL stores survives the encoder and COPY, or is converted as documented', () => {
  const dateText = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 12 }),
      fc.integer({ min: 0, max: 31 }),
    )
    .map(
      ([y, m, d]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    );
  const record = fc.record({
    s: fc.option(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        // The characters COPY and LOAD DATA treat specially, and those that look like NULL.
        fc.string({
          unit: fc.constantFrom(
            '\\',
            '\t',
            '\n',
            '\r',
            '\0',
            'N',
            '\\N',
            'é',
            '😀',
            '"',
            ',',
            '{',
            ' ',
          ),
          maxLength: 20,
        }),
      ),
      { nil: null },
    ),
    b: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }),
    i: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    u: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    f: fc.double({ noNaN: true, noDefaultInfinity: true }),
    d: dateText,
    t: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })),
  });

  it('holds for generated rows (strings with NUL and escapes, bytes, 64-bit integers, doubles, dates)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 40 }), async (rows) => {
        run++;
        await fx.admin.execute(`DELETE FROM ${quoteMysql(fx.names.source)}.prop`);
        await fx.admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
        await fx.admin.execute(`INSERT INTO ${quoteMysql(fx.names.source)}.prop VALUES ?`, [
          rows.map((r, n) => [
            n + 1,
            r.s,
            r.b === null ? null : Buffer.from(r.b),
            r.i.toString(),
            r.u.toString(),
            // MySQL stores -0 as 0 through the text protocol; the literal keeps a double exact.
            r.f,
            r.d,
            `${r.d} ${String(r.t[0]).padStart(2, '0')}:${String(r.t[1]).padStart(2, '0')}:00`,
          ]),
        ]);
        await fx.extract('prop', `p${run}`, { mode: 'full' });
        await fx.load('prop', `p${run}`);
        expect(
          await compareRawWithReplica(fx.admin, fx.names.replica, fx.loadDeps.analytics, ['prop']),
        ).toEqual([]);
        // And the replica holds what was generated: the round trip starts from the real values.
        const [check] = await fx.admin.queryArrays(
          `SELECT COUNT(*) FROM ${quoteMysql(fx.names.replica)}.prop`,
        );
        expect(Number(check?.[0])).toBe(rows.length);
      }),
      { numRuns: 12 },
    );
  });
});
