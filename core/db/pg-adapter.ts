import type { Writable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AnalyticsConnectionConfig } from '../../config/schema';
import { classifyDatabaseError, classifyStreamErrors } from './classify-error';
import type { PgSession } from './ports';
import { tlsClientOptions } from './tls-options';

export interface OpenPgOptions {
  /** Name used in error messages, e.g. `analytics`. */
  label: string;
  /** Override the configured database (tests and set-up connect to `postgres`). */
  database?: string;
  applicationName?: string;
}

// Values come back as text where a JS number would lose precision or meaning.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    // int8, numeric, date, timestamp, timestamptz, interval: keep PostgreSQL's own text.
    if ([20, 1700, 1082, 1114, 1184, 1186].includes(oid)) return (value: string) => value;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

export async function openPg(
  config: Pick<
    AnalyticsConnectionConfig,
    'host' | 'port' | 'database' | 'user' | 'password' | 'tls' | 'connect_timeout_seconds'
  >,
  options: OpenPgOptions,
): Promise<PgSession> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: options.database ?? config.database,
    connectionTimeoutMillis: config.connect_timeout_seconds * 1000,
    application_name: options.applicationName ?? 'etl-pipeline',
    // pg checks the host name (node:tls's default) whenever the certificate is checked.
    ssl: tlsClientOptions(config, options.label) ?? false,
    types,
  });
  // A terminated backend emits 'error' on the client; the next call reports it, classified.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw classifyDatabaseError(error, { connection: options.label, stage: 'connect' });
  }
  return new PgAdapter(client, options.label);
}

class PgAdapter implements PgSession {
  constructor(
    private readonly client: pg.Client,
    private readonly label: string,
  ) {}

  get processId(): number | null {
    return (this.client as unknown as { processID?: number }).processID ?? null;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    try {
      const result = await this.client.query(sql, params as unknown[]);
      return result.rows as T[];
    } catch (error) {
      throw classifyDatabaseError(error, { connection: this.label });
    }
  }

  copyFrom(sql: string): Writable {
    const stream = this.client.query(copyFrom(sql));
    return classifyStreamErrors(stream, this.label);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
