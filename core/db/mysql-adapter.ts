import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import type { Readable } from 'node:stream';
import type { Connection as CallbackConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import type { ConnectionConfig } from '../../config/schema';
import type { ErrorContext } from '../../contract/errors';
import { classifyDatabaseError, classifyStreamErrors } from './classify-error';
import { MYSQL_COLLATION, MYSQL_SESSION_TIME_ZONE } from './mysql-session-settings';
import type { MysqlSession } from './ports';
import { tlsClientOptions } from './tls-options';

export interface OpenMysqlOptions {
  /** Name used in error messages: `source`, `replication`, ... */
  label: string;
  /**
   * Makes every transaction of the session read-only, enforced by the server: a write, DDL or
   * temporary table through it fails with ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION.
   */
  readOnly: boolean;
  /** Allows `LOAD DATA LOCAL INFILE` from a stream (writers only). */
  localInfile?: boolean;
  /** Override the configured database; `null` connects without selecting one. */
  database?: string | null;
  /** Session `sql_mode`; OpenDental itself writes with a non-strict mode. */
  sqlMode?: string;
}

/**
 * Opens one MySQL/MariaDB session. Values arrive exactly as stored: dates and times as text
 * (`0000-00-00`, `0001-01-01`, `-838:59:59`), BIGINT, DECIMAL, DOUBLE and FLOAT as strings,
 * BLOB/BIT as Buffer. (FLOAT's text form is rounded to 6 digits: select `CAST(f AS DOUBLE)`
 * where the exact value matters.)
 */
export async function openMysql(
  config: ConnectionConfig,
  options: OpenMysqlOptions,
): Promise<MysqlSession> {
  const context: ErrorContext = { connection: options.label, stage: 'connect' };
  let connection: mysql.Connection;
  const tls = tlsClientOptions(config, options.label);
  try {
    connection = await mysql.createConnection({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      database: options.database === undefined ? config.database : (options.database ?? undefined),
      connectTimeout: config.connect_timeout_seconds * 1000,
      charset: MYSQL_COLLATION,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      // DOUBLE/FLOAT as the server's text: a JS number would turn -0 into 0 and is not needed
      // to copy the value exactly (the server prints doubles in shortest round-trip form).
      typeCast: (field, next) =>
        field.type === 'DOUBLE' || field.type === 'FLOAT' ? field.string() : next(),
      timezone: 'Z',
      multipleStatements: false,
      // mysql2 checks the host name only when asked to (verifyIdentity).
      ssl: tls ? { ...tls, verifyIdentity: tls.rejectUnauthorized } : undefined,
      ...(tls && isIP(config.host) ? { stream: () => socketNamingItsHost(config) } : {}),
      flags: options.localInfile ? ['+LOCAL_FILES'] : ['-LOCAL_FILES'],
    });
  } catch (error) {
    throw classifyDatabaseError(error, context);
  }
  // A dropped socket must not crash the process; the next call reports it, classified.
  connection.on('error', () => {});
  const session = new MysqlAdapter(connection, options.label);
  try {
    // Long streams into a slow consumer must not be cut by the server's write timeout.
    await session.execute('SET SESSION net_write_timeout = 3600, net_read_timeout = 3600');
    await session.execute('SET SESSION time_zone = ?', [MYSQL_SESSION_TIME_ZONE]);
    if (options.sqlMode !== undefined)
      await session.execute('SET SESSION sql_mode = ?', [options.sqlMode]);
    if (options.readOnly) await session.execute('SET SESSION TRANSACTION READ ONLY');
    await readFreshTableStatistics(session);
  } catch (error) {
    await session.close();
    throw classifyDatabaseError(error, context);
  }
  return session;
}

/**
 * MySQL 8 caches information_schema.TABLES statistics (UPDATE_TIME among them) for
 * `information_schema_stats_expiry` seconds, a day by default: the nightly skip of unwritten
 * tables needs them current. MariaDB (and MySQL 5.7) read them live and have no such variable.
 */
async function readFreshTableStatistics(session: MysqlSession): Promise<void> {
  const [row] = await session.queryArrays('SELECT VERSION()');
  if (/mariadb/i.test(String(row?.[0]))) return;
  await session.execute('SET SESSION information_schema_stats_expiry = 0').catch(() => {});
}

/**
 * The TCP socket mysql2 would open, naming its host for node:tls. mysql2 gives node:tls no host
 * when it is an IP address (no SNI to an address), and node:tls then checks the certificate
 * against "localhost": any certificate for localhost would pass at any address. node:net names
 * the host of a socket it opened by name (`_host`); naming the address the same way makes the
 * check use it, as pg does by passing `host`. test/integration/tls.test.ts proves both ways.
 */
function socketNamingItsHost(config: ConnectionConfig): Socket {
  const socket = tcpConnect(config.port, config.host);
  (socket as Socket & { _host?: string })._host = config.host;
  socket.setNoDelay(true);
  socket.on('connect', () => socket.setKeepAlive(true));
  return socket;
}

class MysqlAdapter implements MysqlSession {
  constructor(
    private readonly connection: mysql.Connection,
    private readonly label: string,
  ) {}

  get threadId(): number | null {
    return this.connection.threadId ?? null;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const [rows] = await this.connection.query({ sql, values: params as unknown[] });
      return rows as T[];
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  async queryArrays(sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
    try {
      const [rows] = await this.connection.query({
        sql,
        values: params as unknown[],
        rowsAsArray: true,
      });
      return rows as unknown[][];
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  async queryArraysAsBuffers(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<(Buffer | null)[][]> {
    try {
      const [rows] = await this.connection.query({
        sql,
        values: params as unknown[],
        rowsAsArray: true,
        typeCast: (field) => field.buffer(),
      });
      return rows as (Buffer | null)[][];
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  async execute(sql: string, params: readonly unknown[] = []): Promise<{ affectedRows: number }> {
    try {
      const [result] = await this.connection.query({ sql, values: params as unknown[] });
      return { affectedRows: (result as mysql.ResultSetHeader).affectedRows ?? 0 };
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  stream(
    sql: string,
    params: readonly unknown[] = [],
    options: { highWaterMark?: number; rowsAsArray?: boolean } = {},
  ): Readable {
    // The promise wrapper keeps the callback connection, whose queries expose .stream().
    const raw = (this.connection as unknown as { connection: CallbackConnection }).connection;
    const stream = raw
      .query({ sql, values: params as unknown[], rowsAsArray: options.rowsAsArray ?? false })
      .stream({ highWaterMark: options.highWaterMark ?? 1000 });
    return classifyStreamErrors(stream, this.label);
  }

  async loadDataLocal(sql: string, source: () => Readable): Promise<{ affectedRows: number }> {
    try {
      const [result] = await this.connection.query({ sql, infileStreamFactory: () => source() });
      return { affectedRows: (result as mysql.ResultSetHeader).affectedRows ?? 0 };
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  async close(): Promise<void> {
    try {
      await this.connection.end();
    } catch {
      this.connection.destroy();
    }
  }
}
