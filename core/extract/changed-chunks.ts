import type { MysqlSession } from '../db/ports';
import { hashesByKeys } from '../db/table-reader';
import { inTransaction } from '../db/transactions';
import { type DiscoveredTable, keyColumn } from '../discovery/discover-schema';
import { upsertRows } from './replica-writer';

/**
 * The write side of the timestamp and append passes: each chunk of source rows (with their row
 * hash last) is compared with the replica's hashes of the same keys, and only rows that are new
 * or differ are upserted and logged, one transaction per chunk.
 */
export async function applyChangedChunks(
  options: { replica: MysqlSession; table: DiscoveredTable; runId: string },
  chunks: AsyncIterable<unknown[][]>,
): Promise<{ inserted: number; updated: number; deleted: number; bytes: number }> {
  const { replica, table } = options;
  const keyIndex = table.columns.findIndex((c) => c.name === keyColumn(table));
  let inserted = 0;
  let updated = 0;
  let bytes = 0;
  for await (const chunk of chunks) {
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
  return { inserted, updated, deleted: 0, bytes };
}
