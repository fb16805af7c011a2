import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { readByKeys } from '../db/table-reader';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { keyColumn } from '../discovery/discover-schema';
import {
  bisectable,
  compareRange,
  DENSE_BUCKETS,
  type FingerprintQuery,
  type KeyRange,
  keySpan,
  onBoth,
  type RangeComparison,
  type RangeSide,
  rangeFingerprint,
  rangeHashes,
} from './range-fingerprints';
import { deleteKeys, upsertRows } from './replica-writer';

/**
 * Checksum reconcile: split the key space into ranges of about `rowsPerRange` source rows, compare
 * them by fingerprints computed on each server (count and a 64-bit XOR of row hashes per key
 * bucket; same engine, so exact), narrow differing ranges down to their changed keys by bisection
 * (`range-fingerprints.ts`), and read and repair only those rows. Finds inserts, deletes and
 * updates that did not touch a change column. A rolling comparison starts after a key and stops
 * after a number of rows.
 */
export interface ReconcileOutcome {
  rangesCompared: number;
  rangesDiffering: number;
  inserted: number;
  updated: number;
  deleted: number;
  bytes: number;
  /** Source rows in the ranges compared (about: whole ranges). */
  rowsCompared: number;
  /** The last key compared; null when the comparison reached the table's end. */
  lastKey: string | null;
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
  /** With `keysOnly`: also compare each key's value of this change column. */
  stampColumn?: string;
  /** Start after this key (a rolling comparison's cursor; null or absent: the first key). */
  startAfter?: string | null;
  /** Stop once the ranges compared hold at least this many source rows (absent: the whole table). */
  maxRows?: number;
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
    rowsCompared: 0,
    lastKey: null,
  };
  const query: FingerprintQuery = {
    table,
    key,
    keysOnly: options.keysOnly ?? false,
    stampColumn: options.stampColumn,
  };
  const sides: [RangeSide, RangeSide] = [
    { session: source, from: table.name },
    { session: replica, from: target },
  ];
  const rowsPerRange = Math.max(1, Math.min(options.rowsPerRange, options.maxRows ?? Infinity));
  const span = bisectable(query) ? await keySpan(sides, key) : null;
  const startAfter = options.startAfter ?? null;
  // Changes spread over a whole range (a day's edits in a busy table) make bucket fingerprints
  // cost a second pass: after such a range the next ones ship keys and hashes at once, until a
  // range shows few changes again.
  let shipAtOnce = false;
  for await (const range of keyRanges(source, table.name, key, rowsPerRange, startAfter)) {
    outcome.rangesCompared++;
    const diff =
      shipAtOnce && !options.dryRun
        ? await shipKeyRange(sides, query, range)
        : await compareKeyRange(sides, query, range, span, options.dryRun ?? false);
    outcome.rowsCompared += diff.sourceRows;
    outcome.lastKey = range.upTo;
    if (diff.differs) {
      outcome.rangesDiffering++;
      if (!options.dryRun) {
        const changed = await repair(options, diff, outcome);
        shipAtOnce = changed > DENSE_BUCKETS;
      }
    } else shipAtOnce = false;
    if (options.maxRows !== undefined && outcome.rowsCompared >= options.maxRows) break;
  }
  return outcome;
}

/** Whether a range differs, its source rows, and the keys and hashes of each side where it does. */
async function compareKeyRange(
  sides: readonly [RangeSide, RangeSide],
  query: FingerprintQuery,
  range: KeyRange,
  span: { low: bigint; high: bigint } | null,
  dryRun: boolean,
): Promise<Pick<RangeComparison, 'differs' | 'sourceRows' | 'source' | 'replica'>> {
  const same = { differs: false, sourceRows: 0, source: new Map(), replica: new Map() };
  if (span) {
    const low = range.after === null ? span.low : BigInt(range.after) + 1n;
    const high = range.upTo === null ? span.high : BigInt(range.upTo);
    if (low > high) return same;
    const compared = await compareRange(sides, query, { low, high }, { firstLevelOnly: dryRun });
    return { ...compared, sourceRows: Math.max(0, compared.sourceRows) };
  }
  const [a, b] = await onBoth(sides, (side) => rangeFingerprint(side, query, range));
  const sourceRows = Number(a.split(':')[0]);
  if (a === b) return { ...same, sourceRows };
  if (dryRun) return { ...same, differs: true, sourceRows };
  const [sourceHashes, replicaHashes] = await onBoth(sides, (side) =>
    rangeHashes(side, query, range),
  );
  return { differs: true, sourceRows, source: sourceHashes, replica: replicaHashes };
}

/** Every key and hash of a range from both sides, in one statement each. */
async function shipKeyRange(
  sides: readonly [RangeSide, RangeSide],
  query: FingerprintQuery,
  range: KeyRange,
): Promise<Pick<RangeComparison, 'differs' | 'sourceRows' | 'source' | 'replica'>> {
  const [source, replica] = await onBoth(sides, (side) => rangeHashes(side, query, range));
  let differs = source.size !== replica.size;
  for (const [k, h] of source) if (!differs && replica.get(k) !== h) differs = true;
  return { differs, sourceRows: source.size, source, replica };
}

/**
 * Reads the differing rows from the source and writes them (and the deletes) to the replica;
 * returns how many keys differed.
 */
async function repair(
  options: Parameters<typeof reconcileTable>[0],
  diff: { source: Map<string, string>; replica: Map<string, string> },
  outcome: ReconcileOutcome,
): Promise<number> {
  const { source, replica, table, target } = options;
  const toInsert: string[] = [];
  const toUpdate: string[] = [];
  for (const [k, h] of diff.source) {
    const other = diff.replica.get(k);
    if (other === undefined) toInsert.push(k);
    else if (other !== h) toUpdate.push(k);
  }
  const toDelete = [...diff.replica.keys()].filter((k) => !diff.source.has(k));
  const rows = await readByKeys(source, table, [...toInsert, ...toUpdate]);
  await options.transaction(async () => {
    outcome.bytes += await upsertRows(replica, { target, table, rows, log: options.log });
    await deleteKeys(replica, { target, table, keys: toDelete, log: options.log });
  });
  outcome.inserted += toInsert.length;
  outcome.updated += toUpdate.length;
  outcome.deleted += toDelete.length;
  return toInsert.length + toUpdate.length + toDelete.length;
}

/**
 * Range boundaries from the source's key index: every `rowsPerRange`-th key after `startAfter`,
 * then an open end.
 */
async function* keyRanges(
  source: MysqlSession,
  tableName: string,
  key: string,
  rowsPerRange: number,
  startAfter: string | null,
): AsyncGenerator<KeyRange> {
  let after: string | null = startAfter;
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
