import type { MysqlSession } from '../db/ports';
import { hashesByKeys } from '../db/table-reader';
import { inTransaction } from '../db/transactions';
import { type DiscoveredTable, keyColumn } from '../discovery/discover-schema';
import { upsertRows } from './replica-writer';
import type { StrategyOutcome } from './strategies/strategy';

/**
 * The write side of the timestamp and append passes: each chunk of source rows (with their row
 * hash last) is compared with the replica's hashes of the same keys, and only rows that are new
 * or differ are upserted and logged, one transaction per chunk.
 */
export async function applyChangedChunks(
  options: {
    replica: MysqlSession;
    table: DiscoveredTable;
    runId: string;
    /** Track the latest value of this column among the rows read (the change column). */
    changeColumn?: string;
  },
  chunks: AsyncIterable<unknown[][]>,
): Promise<StrategyOutcome> {
  const { replica, table } = options;
  const keyIndex = table.columns.findIndex((c) => c.name === keyColumn(table));
  const stampIndex = table.columns.findIndex((c) => c.name === options.changeColumn);
  let inserted = 0;
  let updated = 0;
  let bytes = 0;
  let latestStamp: string | null = null;
  for await (const chunk of chunks) {
    if (stampIndex >= 0) latestStamp = latestOf(chunk, stampIndex, latestStamp);
    const keys = chunk.map((row) => String(row[keyIndex]));
    const existing = await hashesByKeys(replica, table, keys);
    const changed: unknown[][] = [];
    for (const row of chunk) {
      const hash = String(row[row.length - 1]);
      const before = existing.get(String(row[keyIndex]));
      if (before === hash) continue;
      if (before === undefined) inserted++;
      else updated++;
      changed.push(row.slice(0, -1));
    }
    if (changed.length === 0) continue;
    bytes += await inTransaction(replica, () =>
      upsertRows(replica, {
        target: table.name,
        table,
        rows: changed,
        log: { runId: options.runId },
      }),
    );
  }
  return { inserted, updated, deleted: 0, bytes, latestStamp };
}

/** The latest `YYYY-MM-DD HH:MM:SS` text in a column of the chunk (text order is time order). */
function latestOf(
  chunk: readonly unknown[][],
  index: number,
  latest: string | null,
): string | null {
  let out = latest;
  for (const row of chunk) {
    const value = row[index];
    if (value !== null && value !== undefined && (out === null || String(value) > out))
      out = String(value);
  }
  return out;
}
