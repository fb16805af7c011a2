import type { Readable, Writable } from 'node:stream';

/**
 * The few database operations the core needs, declared structurally so that stages and
 * discovery never import a driver. Adapters (`mysql-adapter.ts`, `pg-adapter.ts`) implement
 * them; every error they raise is already classified (see `classify-error.ts`).
 */

export type Row = Record<string, unknown>;

export interface MysqlSession {
  /** Runs one statement; `params` are bound with `?` placeholders. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Like `query`, with each row as an array in select-list order. */
  queryArrays(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
  /**
   * Like `queryArrays`, with every value as the raw bytes the server sent (its text form in the
   * connection's character set; `null` for NULL): no per-value JS string or number is made, for
   * reads whose values go on as bytes (the load's COPY lines built in SQL).
   */
  queryArraysAsBuffers(sql: string, params?: readonly unknown[]): Promise<(Buffer | null)[][]>;
  /** Runs one statement that changes data; returns affected rows. */
  execute(sql: string, params?: readonly unknown[]): Promise<{ affectedRows: number }>;
  /**
   * Streams the result with backpressure: at most `highWaterMark` rows are buffered while the
   * consumer is slow. Rows are arrays in column order when `rowsAsArray` is set.
   */
  stream(
    sql: string,
    params?: readonly unknown[],
    options?: { highWaterMark?: number; rowsAsArray?: boolean },
  ): Readable;
  /**
   * `LOAD DATA LOCAL INFILE` fed by a stream of Buffers (tab-separated, `\N` for NULL).
   * The statement must name the file as `'stream'`.
   */
  loadDataLocal(sql: string, source: () => Readable): Promise<{ affectedRows: number }>;
  /** Server-side thread id, for diagnostics and fault-injection tests (`KILL CONNECTION`). */
  readonly threadId: number | null;
  close(): Promise<void>;
}

export interface PgSession {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** `COPY … FROM STDIN`: returns the stream to write text-format rows into. */
  copyFrom(sql: string): Writable;
  /** Backend process id, for diagnostics and fault-injection tests (`pg_terminate_backend`). */
  readonly processId: number | null;
  close(): Promise<void>;
}

export type MysqlRole = 'source' | 'replication';
