import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteMysql } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import type { MysqlSession } from '../../core/db/ports';
import { readChunks } from '../../core/db/table-reader';
import { type DiscoveredColumn, discoverTable } from '../../core/discovery/discover-schema';
import { type Conversions, emptyConversions, rowEncoder } from '../../core/load/copy-encoder';
import { readCopyText } from '../../core/load/copy-line-reader';
import { canReadRowText } from '../../core/load/copy-line-sql';
import { mapColumns } from '../../core/load/type-mapping';
import { ADVERSARIAL_DDL, ADVERSARIAL_ROWS } from '../helpers/adversarial-table';
import {
  adminMysql,
  dropMysqlDatabases,
  killOnCall,
  LOCAL_MYSQL,
  testDatabaseName,
} from '../helpers/local-databases';

const DB = testDatabaseName('cls');
let admin: MysqlSession;
let session: MysqlSession;

/** Types and values beyond the adversarial table: fractions, impossible dates, odd charsets, keys. */
const MORE = [
  `CREATE TABLE more_types (id INT NOT NULL PRIMARY KEY,
    d DATE NOT NULL, dt6 DATETIME(6) NULL, ts3 TIMESTAMP(3) NULL DEFAULT NULL, tm3 TIME(3) NULL,
    dec65 DECIMAL(65,30) NULL, b64 BIT(64) NULL, b1 BIT(1) NULL, st SET('a"b','c\\\\d','e') NULL,
    en ENUM('x\\ty','z') NULL, latin CHAR(5) CHARACTER SET latin1 NULL,
    ucs VARCHAR(10) CHARACTER SET ucs2 NULL, bin BINARY(4) NULL, fl FLOAT NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `INSERT INTO more_types VALUES
    (-5, '2019-02-30', '2023-02-29 10:00:00.123456', '2024-02-29 23:59:59.999', '-838:59:59.999',
     -12345678901234567890123456789012345.123456789012345678901234567890, b'1111111111111111111111111111111111111111111111111111111111111111',
     b'1', 'a"b,c\\\\d', 'x\\ty', 'ÿþ€', 'ŻÓŁĆ\\t', UNHEX('FFFE0000'), -0e0),
    (0, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '00:00:00', 0, b'0', b'0',
     '', 'z', '', '', UNHEX('00000000'), 3.4028235e38),
    (7, '1900-02-29', '0000-01-01 00:00:00', NULL, '25:00:00.5', -0.000000000000000000000000000001,
     NULL, NULL, 'e', NULL, 'a\\\\b', NULL, NULL, 1.17549435e-38),
    (8, '2000-02-29', NULL, '1970-01-01 00:00:01', NULL, NULL, b'10', NULL, NULL, NULL, NULL, NULL, NULL, 0.1)`,
  'CREATE TABLE no_key (a INT NULL, s VARCHAR(20) NULL, d DATE NULL) ENGINE=InnoDB',
  `INSERT INTO no_key VALUES (1, 'x\\ty', '0000-00-00'), (NULL, NULL, NULL), (1, 'x\\ty', '0000-00-00'),
    (2, '', '2019-02-30')`,
  'CREATE TABLE text_key (k VARCHAR(20) NOT NULL PRIMARY KEY, v TEXT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  // X'FE' (the row text's NULL mark) cannot be stored in a utf8 column: the server stores '?'.
  `INSERT INTO text_key VALUES ('a', 'one'), ('b\\tc', NULL), ('é', '\\\\N'), ('Z', ''), ('😀', 'NUL\\0'),
    ('fe', X'FE')`,
];

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, DB);
  await admin.execute(`CREATE DATABASE ${quoteMysql(DB)} CHARACTER SET utf8`);
  await admin.execute(`USE ${quoteMysql(DB)}`);
  // As OpenDental writes (non-strict), and impossible dates kept as given.
  await admin.execute(
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,ALLOW_INVALID_DATES', time_zone = '+00:00'",
  );
  await admin.execute(ADVERSARIAL_DDL);
  await admin.execute(`INSERT INTO adversarial VALUES ${ADVERSARIAL_ROWS.join(', ')}`);
  for (const statement of MORE) await admin.execute(statement);
  session = await openMysql(
    { ...LOCAL_MYSQL, database: DB },
    { label: 'replication', readOnly: false },
  );
});

afterAll(async () => {
  await session?.close();
  await dropMysqlDatabases(admin, DB);
  await admin?.close();
});

const TRAILING = ['2026-12-01T01:02:03.456Z', 'run\\with\ttab'];

/** The COPY text of a table both ways: the Node encoder over mysql2's values, and the server's row text. */
async function bothWays(table: string, batchSize: number, on: MysqlSession = session) {
  const discovered = await discoverTable(on, DB, table, { stage: 'load', where: 'replica' });
  const columns = mapColumns(discovered.columns);
  const node = { text: [] as Buffer[], conversions: emptyConversions() };
  const line = rowEncoder(columns, TRAILING);
  for await (const chunk of readChunks(on, discovered, { batchSize }))
    for (const row of chunk) node.text.push(Buffer.from(line(row, node.conversions), 'utf8'));
  const server = { text: [] as Buffer[], conversions: emptyConversions(), rows: 0 };
  for await (const piece of readCopyText(on, discovered, columns, {
    batchSize,
    trailing: TRAILING,
  })) {
    server.text.push(piece.data);
    server.rows += piece.rows;
    add(server.conversions, piece.conversions);
  }
  return {
    node: { text: Buffer.concat(node.text).toString('utf8'), conversions: node.conversions },
    server: { text: Buffer.concat(server.text).toString('utf8'), conversions: server.conversions },
    rows: node.text.length,
    serverRows: server.rows,
  };
}

/** Where two COPY texts first differ (line, field, both fields cut short), or null: a failure stays readable. */
function firstDifference(actual: string, expected: string) {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let line = 0; line < Math.max(a.length, e.length); line++) {
    const af = (a[line] ?? '').split('\t');
    const ef = (e[line] ?? '').split('\t');
    for (let field = 0; field < Math.max(af.length, ef.length); field++)
      if (af[field] !== ef[field])
        return { line, field, actual: af[field]?.slice(0, 60), expected: ef[field]?.slice(0, 60) };
  }
  return null;
}

function add(into: Conversions, more: Conversions) {
  into.zeroDateToNull += more.zeroDateToNull;
  into.nulStripped += more.nulStripped;
}

describe('COPY lines from the server-built row text', () => {
  it.each([
    ['adversarial', 1000, { zeroDateToNull: 4, nulStripped: 1 }],
    ['adversarial', 2, { zeroDateToNull: 4, nulStripped: 1 }],
    ['more_types', 1, { zeroDateToNull: 7, nulStripped: 0 }],
    ['no_key', 3, { zeroDateToNull: 3, nulStripped: 0 }],
    ['text_key', 1, { zeroDateToNull: 0, nulStripped: 1 }],
  ])(
    'equal the Node encoder’s byte for byte: %s in chunks of %i',
    async (table, batch, expected) => {
      const { node, server, rows, serverRows } = await bothWays(table, batch);
      expect(rows).toBeGreaterThan(0);
      expect(serverRows).toBe(rows);
      expect(firstDifference(server.text, node.text)).toBeNull();
      expect(server.conversions).toEqual(node.conversions);
      expect(server.conversions).toEqual(expected);
    },
  );

  it('do not depend on the session’s sql_mode (hex literals, no backslash escapes)', async () => {
    const strict = await openMysql(
      { ...LOCAL_MYSQL, database: DB },
      {
        label: 'replication',
        readOnly: true,
        sqlMode: 'ANSI,NO_BACKSLASH_ESCAPES,NO_ZERO_DATE,NO_ZERO_IN_DATE,STRICT_ALL_TABLES',
      },
    );
    try {
      for (const table of ['adversarial', 'more_types']) {
        const { node, server } = await bothWays(table, 2, strict);
        expect(firstDifference(server.text, node.text)).toBeNull();
        expect(server.conversions).toEqual(node.conversions);
      }
    } finally {
      await strict.close();
    }
  });

  it('are used only for the types whose text form is exact (others keep the Node encoder)', async () => {
    const discovered = await discoverTable(session, DB, 'more_types', {
      stage: 'load',
      where: 'replica',
    });
    expect(canReadRowText(discovered.columns)).toBe(true);
    const [first] = discovered.columns;
    for (const dataType of ['json', 'geometry', 'inet6', 'uuid'])
      expect(
        canReadRowText([...discovered.columns, { ...(first as DiscoveredColumn), dataType }]),
      ).toBe(false);
  });
});

describe('a replica connection lost while reading ahead', () => {
  const readWithKill = async (stopAfterFirst: boolean) => {
    const doomed = await openMysql(
      { ...LOCAL_MYSQL, database: DB },
      { label: 'replication', readOnly: true },
    );
    try {
      const table = await discoverTable(doomed, DB, 'adversarial', {
        stage: 'load',
        where: 'replica',
      });
      // The second chunk's statement is the one read ahead while the first is handed out.
      const killed = killOnCall(doomed, admin, /FROM `adversarial`/, 2);
      let pieces = 0;
      for await (const _ of readCopyText(killed, table, mapColumns(table.columns), {
        batchSize: 2,
        trailing: [],
      })) {
        pieces++;
        if (stopAfterFirst) break;
      }
      return pieces;
    } finally {
      await doomed.close();
    }
  };

  it('fails the read with a transient ConnectionLostError', async () => {
    await expect(readWithKill(false)).rejects.toMatchObject({
      name: 'ConnectionLostError',
      transient: true,
    });
  });

  it('leaves no unhandled rejection when the consumer has stopped first (a failed COPY)', async () => {
    expect(await readWithKill(true)).toBe(1);
  });
});

describe('property: any row MySQL stores gives the Node encoder’s line', () => {
  const dateText = fc
    .tuple(fc.nat(9999), fc.nat(12), fc.nat(31))
    .map(([y, m, d]) =>
      [String(y).padStart(4, '0'), String(m).padStart(2, '0'), String(d).padStart(2, '0')].join(
        '-',
      ),
    );
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.string({
      unit: fc.constantFrom('\\', '\t', '\n', '\r', '\0', 'N', '\\N', 'é', '😀', '"', ','),
      maxLength: 16,
    }),
  );
  const record = fc.record({
    s: fc.option(text, { nil: null }),
    l: fc.option(
      fc.string({ unit: fc.constantFrom('a', 'ÿ', 'þ', '€', '\t', '\\', '\0'), maxLength: 8 }),
      { nil: null },
    ),
    b: fc.option(fc.uint8Array({ maxLength: 32 }), { nil: null }),
    i: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    f: fc.double({ noNaN: true, noDefaultInfinity: true }),
    d: dateText,
    t: fc.tuple(fc.integer({ min: -838, max: 838 }), fc.nat(59), fc.nat(59)),
  });

  it('holds for generated rows (text with NUL and escapes, latin1, bytes, integers, doubles, dates, times)', async () => {
    await admin.execute(
      'CREATE TABLE prop (id INT PRIMARY KEY, s TEXT CHARACTER SET utf8mb4, l VARCHAR(8) CHARACTER SET latin1, b BLOB, i BIGINT, f DOUBLE, d DATE, dt DATETIME NOT NULL, t TIME) ENGINE=InnoDB',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 30 }), async (rows) => {
        await admin.execute('DELETE FROM prop');
        await admin.execute('INSERT INTO prop VALUES ?', [
          rows.map((r, n) => [
            n + 1,
            r.s,
            r.l,
            r.b === null ? null : Buffer.from(r.b),
            r.i.toString(),
            r.f,
            r.d,
            `${r.d} 01:02:03`,
            `${r.t[0]}:${String(r.t[1]).padStart(2, '0')}:${String(r.t[2]).padStart(2, '0')}`,
          ]),
        ]);
        const { node, server, rows: read } = await bothWays('prop', 7);
        expect(read).toBe(rows.length);
        expect(firstDifference(server.text, node.text)).toBeNull();
        expect(server.conversions).toEqual(node.conversions);
      }),
      { numRuns: 15 },
    );
  });
});
