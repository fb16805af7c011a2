import { Readable } from 'node:stream';
import { ValidationError } from '../../contract/errors';
import { quoteMysql } from '../db/identifiers';
import { MYSQL_CHARSET } from '../db/mysql-session-settings';
import type { MysqlSession, Row } from '../db/ports';
import { isBinary } from '../db/row-sql';
import { LOAD_DATA_FORMAT } from '../db/tsv-line-sql';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { keyColumn } from '../discovery/discover-schema';
import { logReplicaChanges } from '../handoff/replica-change-log';

/** Upsert statements stay far below max_allowed_packet (16 MiB by default). */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** Approximate wire size of a row (for byte-sized batches and the result's `bytes`). */
export function rowBytes(row: readonly unknown[]): number {
  let bytes = 0;
  for (const v of row) {
    if (v === null || v === undefined) bytes += 4;
    else if (Buffer.isBuffer(v)) bytes += v.length * 2 + 3;
    else bytes += String(v).length + 3;
  }
  return bytes;
}

/**
 * Upserts rows (arrays in column order) with byte-sized `INSERT … ON DUPLICATE KEY UPDATE`
 * batches and logs their keys, all in the caller's transaction.
 */
export async function upsertRows(
  replica: MysqlSession,
  options: {
    /** The replica table written: the table itself, or its shadow. */
    target: string;
    table: DiscoveredTable;
    rows: readonly unknown[][];
    /** Log the keys under this run id (null: not logged, e.g. into a shadow). */
    log: { runId: string } | null;
  },
): Promise<number> {
  const { target, table, rows, log } = options;
  const columns = table.columns.map((c) => quoteMysql(c.name)).join(', ');
  const updates = table.columns
    .filter((c) => !table.primaryKey.includes(c.name))
    .map((c) => `${quoteMysql(c.name)} = VALUES(${quoteMysql(c.name)})`);
  // A table whose every column is in the key has nothing to update: re-inserting is a no-op.
  const onDuplicate =
    updates.length > 0
      ? updates.join(', ')
      : `${quoteMysql(table.primaryKey[0] ?? '')} = ${quoteMysql(table.primaryKey[0] ?? '')}`;
  const sql = `INSERT INTO ${quoteMysql(target)} (${columns}) VALUES ? ON DUPLICATE KEY UPDATE ${onDuplicate}`;
  let batch: unknown[][] = [];
  let batchBytes = 0;
  let total = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await replica.execute(sql, [batch]);
    batch = [];
    batchBytes = 0;
  };
  for (const row of rows) {
    const size = rowBytes(row);
    if (batchBytes + size > MAX_STATEMENT_BYTES) await flush();
    batch.push(row);
    batchBytes += size;
    total += size;
  }
  await flush();
  if (log) {
    const keyIndexes = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
    const keys = rows.map((row) =>
      changeLogKey(
        table,
        Object.fromEntries(table.primaryKey.map((k, i) => [k, row[keyIndexes[i] as number]])),
      ),
    );
    await logReplicaChanges(replica, { table: table.name, runId: log.runId, op: 'U', keys });
  }
  return total;
}

/** Deletes rows by single-column primary key and logs them, in the caller's transaction. */
export async function deleteKeys(
  replica: MysqlSession,
  options: {
    target: string;
    table: DiscoveredTable;
    keys: readonly string[];
    log: { runId: string } | null;
  },
): Promise<void> {
  const { target, table, keys, log } = options;
  const key = keyColumn(table);
  if (!key)
    throw new ValidationError('deleting by key needs a single-column primary key', {
      table: table.name,
    });
  for (let i = 0; i < keys.length; i += 1000) {
    await replica.execute(`DELETE FROM ${quoteMysql(target)} WHERE ${quoteMysql(key)} IN (?)`, [
      keys.slice(i, i + 1000),
    ]);
  }
  if (log) await logReplicaChanges(replica, { table: table.name, runId: log.runId, op: 'D', keys });
}

/**
 * Bulk path: `LOAD DATA LOCAL INFILE` fed by newline-terminated LOAD DATA lines (pulled with
 * backpressure; see `line-reader.ts`). `expectedRows` is read once the stream has ended: LOAD
 * DATA LOCAL skips duplicate keys instead of failing, so its count is checked. Returns the bytes
 * written.
 */
export async function bulkLoad(
  replica: MysqlSession,
  target: string,
  table: DiscoveredTable,
  lines: AsyncIterable<Buffer>,
  expectedRows: () => number,
): Promise<{ bytes: number }> {
  const { targets, set } = loadDataColumns(table);
  let bytes = 0;
  let readFailure: unknown = null;
  async function* counted() {
    try {
      for await (const piece of lines) {
        bytes += piece.length;
        yield piece;
      }
    } catch (error) {
      // The driver may end the file early rather than abort the statement: remember the cause.
      readFailure = error;
      throw error;
    }
  }
  const { affectedRows } = await replica
    .loadDataLocal(
      `LOAD DATA LOCAL INFILE 'stream' INTO TABLE ${quoteMysql(target)} CHARACTER SET ${MYSQL_CHARSET} ` +
        `${LOAD_DATA_FORMAT} ${targets}${set}`,
      () => Readable.from(counted(), { objectMode: false }),
    )
    .catch((error) => {
      throw readFailure ?? error;
    });
  if (readFailure) throw readFailure;
  if (affectedRows !== expectedRows()) {
    throw new ValidationError(`LOAD DATA wrote ${affectedRows} of ${expectedRows()} rows`, {
      table: table.name,
      stage: 'extract',
    });
  }
  return { bytes };
}

/** Row objects (as mysql2 returns them) to arrays in the table's column order. */
export function toArrays(table: DiscoveredTable, rows: readonly Row[]): unknown[][] {
  return rows.map((row) => table.columns.map((c) => row[c.name] ?? null));
}

/** The key value as stored in the change log: the value itself, or a JSON array for composite keys. */
export function changeLogKey(table: DiscoveredTable, row: Record<string, unknown>): string {
  if (table.primaryKey.length === 1) return String(row[table.primaryKey[0] as string]);
  return JSON.stringify(table.primaryKey.map((k) => row[k]));
}

/** The `(col, col, @blob)` target list and `SET blob = UNHEX(@blob)` of a LOAD DATA statement. */
export function loadDataColumns(table: DiscoveredTable): { targets: string; set: string } {
  const targets = table.columns.map((c, i) => (isBinary(c) ? `@b${i}` : quoteMysql(c.name)));
  const sets = table.columns.flatMap((c, i) =>
    isBinary(c) ? [`${quoteMysql(c.name)} = UNHEX(@b${i})`] : [],
  );
  return {
    targets: `(${targets.join(', ')})`,
    set: sets.length > 0 ? ` SET ${sets.join(', ')}` : '',
  };
}
