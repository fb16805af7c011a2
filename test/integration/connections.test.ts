import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConnectionRefusedError,
  DatabaseNotFoundError,
  EtlError,
  HostNotFoundError,
  ReadOnlyViolationError,
} from '../../contract/errors';
import { quoteMysql } from '../../core/db/identifiers';
import { openMysql } from '../../core/db/mysql-adapter';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession } from '../../core/db/ports';
import {
  adminMysql,
  dropMysqlDatabases,
  LOCAL_MYSQL,
  LOCAL_PG,
  testDatabaseName,
} from '../helpers/local-databases';

const DB = testDatabaseName('conn');
const CANARY_PASSWORD = 'Canary-Pw-41c7e';
const ROWS = 20_000;
let admin: MysqlSession;

beforeAll(async () => {
  admin = await adminMysql();
  await dropMysqlDatabases(admin, DB);
  await admin.execute(`CREATE DATABASE ${quoteMysql(DB)}`);
  await admin.execute(
    `CREATE TABLE ${quoteMysql(DB)}.t (id BIGINT PRIMARY KEY, d DATE, tm TIME, big BIGINT UNSIGNED, note TEXT) ENGINE=MyISAM`,
  );
  await admin.execute("SET SESSION sql_mode = ''");
  await admin.execute(
    `INSERT INTO ${quoteMysql(DB)}.t VALUES (1, '0000-00-00', '-838:59:59', 18446744073709551615, 'x'), (2, '0001-01-01', '838:59:59', 0, NULL)`,
  );
  await admin.execute(
    `INSERT INTO ${quoteMysql(DB)}.t SELECT seq, '2024-01-01', '00:00:00', seq, REPEAT('n', 200) FROM ${quoteMysql(DB)}.seq_3_to_${ROWS}`,
  );
});

afterAll(async () => {
  await dropMysqlDatabases(admin, DB);
  await admin.close();
});

const source = () =>
  openMysql({ ...LOCAL_MYSQL, database: DB }, { label: 'source', readOnly: true });

describe('the source session', () => {
  it('is refused every write by the server: DML, DDL and temporary tables', async () => {
    const session = await source();
    try {
      for (const sql of [
        'INSERT INTO t (id) VALUES (999999)',
        'UPDATE t SET note = NULL WHERE id = 1',
        'CREATE TABLE t2 (a INT)',
        'CREATE TEMPORARY TABLE tmp (a INT)',
      ]) {
        await expect(session.execute(sql), sql).rejects.toBeInstanceOf(ReadOnlyViolationError);
      }
    } finally {
      await session.close();
    }
    const [row] = await admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteMysql(DB)}.t`);
    expect(Number(row?.n)).toBe(ROWS);
  });

  it('returns values exactly as stored: zero dates, extreme TIME, unsigned BIGINT as text', async () => {
    const session = await source();
    try {
      const rows = await session.query<{ d: string; tm: string; big: string }>(
        'SELECT d, tm, big FROM t WHERE id <= 2 ORDER BY id',
      );
      expect(rows).toEqual([
        { d: '0000-00-00', tm: '-838:59:59', big: '18446744073709551615' },
        { d: '0001-01-01', tm: '838:59:59', big: '0' },
      ]);
    } finally {
      await session.close();
    }
  });

  it('streams with backpressure: a slow consumer receives every row in order', async () => {
    const session = await source();
    try {
      let seen = 0;
      let last = 0;
      let ordered = true;
      await pipeline(
        session.stream('SELECT id, note FROM t ORDER BY id', [], {
          highWaterMark: 100,
          rowsAsArray: true,
        }),
        new Writable({
          objectMode: true,
          highWaterMark: 10,
          write(row: unknown[], _enc, done) {
            const id = Number(row[0]);
            ordered &&= id > last;
            last = id;
            seen++;
            // Every 1000th row the consumer stalls, as a slow COPY target would.
            if (seen % 1000 === 0) setTimeout(done, 2);
            else done();
          },
        }),
      );
      expect(seen).toBe(ROWS);
      expect(ordered).toBe(true);
    } finally {
      await session.close();
    }
  });
});

describe('connection failures are named and never echo the password', () => {
  async function failure(open: () => Promise<unknown>): Promise<EtlError> {
    try {
      await open();
    } catch (error) {
      expect(error).toBeInstanceOf(EtlError);
      expect((error as Error).message).not.toContain(CANARY_PASSWORD);
      expect(JSON.stringify(error)).not.toContain(CANARY_PASSWORD);
      return error as EtlError;
    }
    throw new Error('expected the connection to fail');
  }
  const mysqlWith = (over: Partial<typeof LOCAL_MYSQL>) => () =>
    openMysql(
      { ...LOCAL_MYSQL, password: CANARY_PASSWORD, connect_timeout_seconds: 5, ...over },
      { label: 'source', readOnly: true },
    );

  it('MariaDB: wrong password, missing database, refused port, unknown host', async () => {
    expect(await failure(mysqlWith({}))).toBeInstanceOf(AuthenticationError);
    expect(await failure(mysqlWith({ password: '', database: 'no_such_db_x' }))).toBeInstanceOf(
      DatabaseNotFoundError,
    );
    expect(await failure(mysqlWith({ port: 1 }))).toBeInstanceOf(ConnectionRefusedError);
    expect(await failure(mysqlWith({ host: 'db.does-not-exist.invalid' }))).toBeInstanceOf(
      HostNotFoundError,
    );
  });

  it('PostgreSQL: missing database and refused port', async () => {
    const pgWith = (over: Partial<typeof LOCAL_PG>) => () =>
      openPg({ ...LOCAL_PG, password: CANARY_PASSWORD, ...over }, { label: 'analytics' });
    expect(await failure(pgWith({ database: 'no_such_db_x' }))).toBeInstanceOf(
      DatabaseNotFoundError,
    );
    expect(await failure(pgWith({ port: 1 }))).toBeInstanceOf(ConnectionRefusedError);
  });

  it('PostgreSQL: a working session answers queries with exact text for int8/numeric/dates', async () => {
    const pg = await openPg(LOCAL_PG, { label: 'analytics' });
    try {
      const [row] = await pg.query<{ a: string; b: string; c: string }>(
        "SELECT 9223372036854775807::int8 AS a, 18446744073709551615::numeric AS b, '0001-01-01'::date AS c",
      );
      expect(row).toEqual({ a: '9223372036854775807', b: '18446744073709551615', c: '0001-01-01' });
    } finally {
      await pg.close();
    }
  });
});
