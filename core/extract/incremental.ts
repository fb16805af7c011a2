import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { inTransaction } from './change-log';
import { upsertRows } from './replica-writer';
import { keyColumn } from './row-sql';
import { hashesByKeys, readChunks } from './source-reader';

export interface PassOutcome {
  inserted: number;
  updated: number;
  bytes: number;
}

/**
 * Timestamp strategy: rows whose change column is at or after the stored watermark minus the
 * overlap window, read in key chunks with their row hash. Rows the replica already holds
 * unchanged (the overlap re-reads some) are neither written nor logged.
 */
export async function timestampPass(options: {
  source: MysqlSession;
  replica: MysqlSession;
  table: DiscoveredTable;
  batchSize: number;
  runId: string;
  since: string | null;
  overlapMinutes: number;
}): Promise<PassOutcome> {
  const { table } = options;
  const change = table.changeColumn as string;
  const where =
    options.since === null
      ? undefined
      : {
          sql: `${quoteMysql(change)} >= ? - INTERVAL ? MINUTE`,
          params: [options.since, options.overlapMinutes],
        };
  return applyChunks(
    options,
    readChunks(options.source, table, { batchSize: options.batchSize, where, withHash: true }),
  );
}

/** Append strategy: rows with a key above the replica's highest key (append-only logs). */
export async function appendPass(options: {
  source: MysqlSession;
  replica: MysqlSession;
  table: DiscoveredTable;
  batchSize: number;
  runId: string;
}): Promise<PassOutcome> {
  const key = keyColumn(options.table) as string;
  const [row] = await options.replica.queryArrays(
    `SELECT MAX(${quoteMysql(key)}) FROM ${quoteMysql(options.table.name)}`,
  );
  const afterKey = row?.[0] === null || row?.[0] === undefined ? null : String(row[0]);
  return applyChunks(
    options,
    readChunks(options.source, options.table, {
      batchSize: options.batchSize,
      afterKey,
      withHash: true,
    }),
  );
}

async function applyChunks(
  options: { replica: MysqlSession; table: DiscoveredTable; runId: string },
  chunks: AsyncIterable<unknown[][]>,
): Promise<PassOutcome> {
  const { replica, table } = options;
  const keyIndex = table.columns.findIndex((c) => c.name === keyColumn(table));
  const outcome: PassOutcome = { inserted: 0, updated: 0, bytes: 0 };
  for await (const chunk of chunks) {
    const keys = chunk.map((row) => String(row[keyIndex]));
    const existing = await hashesByKeys(replica, table, keys);
    const changed: unknown[][] = [];
    for (const row of chunk) {
      const hash = String(row[row.length - 1]);
      const before = existing.get(String(row[keyIndex]));
      if (before === hash) continue;
      if (before === undefined) outcome.inserted++;
      else outcome.updated++;
      changed.push(row.slice(0, -1));
    }
    if (changed.length === 0) continue;
    outcome.bytes += await inTransaction(replica, () =>
      upsertRows(replica, table.name, table, changed, { runId: options.runId }),
    );
  }
  return outcome;
}
