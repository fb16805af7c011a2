import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { rowHashExpression } from '../db/row-sql';
import { readByKeys } from '../db/table-reader';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { keyColumn } from '../discovery/discover-schema';
import { chunkChecksumSelect, keySetChecksumSelect } from './checksum-sql';
import { deleteKeys, upsertRows } from './replica-writer';

/**
 * Checksum reconcile: split the key space into ranges of about `rowsPerRange` source rows, compare
 * count and a 64-bit XOR of row hashes per range on both sides (same engine, so exact), and diff
 * row by row only inside the ranges that differ. Finds inserts, deletes and updates that did not
 * touch a change column.
 */
export interface ReconcileOutcome {
  rangesCompared: number;
  rangesDiffering: number;
  inserted: number;
  updated: number;
  deleted: number;
  bytes: number;
}

interface Range {
  /** Exclusive lower bound (null: from the first key). */
  after: string | null;
  /** Inclusive upper bound (null: to the last key). */
  upTo: string | null;
}

export async function reconcileTable(options: {
  source: MysqlSession;
  replica: MysqlSession;
  table: DiscoveredTable;
  /** Replica table to compare and repair (the table itself, or a shadow copy). */
  target: string;
  rowsPerRange: number;
  /** Compare only: report differences without repairing them. */
  dryRun?: boolean;
  /** Log repaired keys to the change log under this run id (null: no change log, e.g. a shadow). */
  log: { runId: string } | null;
  /** Wraps each range's repair in a replica transaction. */
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * Compare key sets only (count and XOR of key hashes, read from the primary key index): finds
   * rows deleted from the source, and rows inserted without a change-column stamp, at a fraction
   * of the cost; edits are left to the full comparison.
   */
  keysOnly?: boolean;
}): Promise<ReconcileOutcome> {
  const { source, replica, table, target } = options;
  const key = keyColumn(table);
  if (!key) throw new Error(`reconcile needs a single-column primary key (${table.name})`);
  const outcome: ReconcileOutcome = {
    rangesCompared: 0,
    rangesDiffering: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    bytes: 0,
  };
  for await (const range of keyRanges(source, table.name, key, options.rowsPerRange)) {
    outcome.rangesCompared++;
    const query: RangeQuery = { table, key, range, keysOnly: options.keysOnly ?? false };
    const [a, b] = await Promise.all([
      rangeChecksum({ session: source, from: table.name }, query),
      rangeChecksum({ session: replica, from: target }, query),
    ]);
    if (a === b) continue;
    outcome.rangesDiffering++;
    if (options.dryRun) continue;
    const [sourceHashes, replicaHashes] = await Promise.all([
      rangeHashes({ session: source, from: table.name }, query),
      rangeHashes({ session: replica, from: target }, query),
    ]);
    const toInsert: string[] = [];
    const toUpdate: string[] = [];
    for (const [k, h] of sourceHashes) {
      const other = replicaHashes.get(k);
      if (other === undefined) toInsert.push(k);
      else if (other !== h) toUpdate.push(k);
    }
    const toDelete = [...replicaHashes.keys()].filter((k) => !sourceHashes.has(k));
    const rows = await readByKeys(source, table, [...toInsert, ...toUpdate]);
    await options.transaction(async () => {
      outcome.bytes += await upsertRows(replica, { target, table, rows, log: options.log });
      await deleteKeys(replica, { target, table, keys: toDelete, log: options.log });
    });
    outcome.inserted += toInsert.length;
    outcome.updated += toUpdate.length;
    outcome.deleted += toDelete.length;
  }
  return outcome;
}

/** Range boundaries from the source's key index: every `rowsPerRange`-th key, then an open end. */
async function* keyRanges(
  source: MysqlSession,
  tableName: string,
  key: string,
  rowsPerRange: number,
): AsyncGenerator<Range> {
  let after: string | null = null;
  for (;;) {
    const [row] = await source.queryArrays(
      `SELECT ${quoteMysql(key)} FROM ${quoteMysql(tableName)}${after === null ? '' : ` WHERE ${quoteMysql(key)} > ?`}
        ORDER BY ${quoteMysql(key)} LIMIT 1 OFFSET ${rowsPerRange - 1}`,
      after === null ? [] : [after],
    );
    if (!row) {
      yield { after, upTo: null };
      return;
    }
    const upTo = String(row[0]);
    yield { after, upTo };
    after = upTo;
  }
}

function rangeWhere(key: string, range: Range): { sql: string; params: string[] } {
  const parts: string[] = [];
  const params: string[] = [];
  if (range.after !== null) {
    parts.push(`${quoteMysql(key)} > ?`);
    params.push(range.after);
  }
  if (range.upTo !== null) {
    parts.push(`${quoteMysql(key)} <= ?`);
    params.push(range.upTo);
  }
  return { sql: parts.length > 0 ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

/** One key range of a table, compared whole or by its key set only. */
interface RangeQuery {
  table: DiscoveredTable;
  key: string;
  range: Range;
  keysOnly: boolean;
}

/** Where a range is read: the source table, or the replica's table (or its shadow). */
interface RangeSide {
  session: MysqlSession;
  from: string;
}

async function rangeChecksum(
  { session, from }: RangeSide,
  { table, key, range, keysOnly }: RangeQuery,
): Promise<string> {
  const where = rangeWhere(key, range);
  const fingerprint = keysOnly ? keySetChecksumSelect(key) : chunkChecksumSelect(table);
  const [row] = await session.queryArrays(
    `SELECT ${fingerprint} FROM ${quoteMysql(from)}${where.sql}`,
    where.params,
  );
  return `${row?.[0]}:${row?.[1]}`;
}

async function rangeHashes(
  { session, from }: RangeSide,
  { table, key, range, keysOnly }: RangeQuery,
): Promise<Map<string, string>> {
  const where = rangeWhere(key, range);
  // Keys only: every hash is the same, so only keys present on one side count as differing.
  const hash = keysOnly ? "''" : rowHashExpression(table);
  const rows = await session.queryArrays(
    `SELECT ${quoteMysql(key)}, ${hash} FROM ${quoteMysql(from)}${where.sql}`,
    where.params,
  );
  return new Map(rows.map(([k, h]) => [String(k), String(h)]));
}
