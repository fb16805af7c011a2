import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { rowHashExpression } from '../db/row-sql';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { fingerprintSelect, keyHashExpression } from './checksum-sql';

/**
 * Per-range fingerprints computed on each server, and the bisection that narrows a differing
 * range down to its changed keys: a range is fingerprinted as up to {@link FANOUT} key buckets in
 * one statement per server (`GROUP BY (key - low) DIV width`), and only the buckets that differ
 * are looked into: split again while they are large, their keys and row hashes shipped once they
 * hold at most {@link LEAF_ROWS} rows. Rows themselves are read only for the keys that differ.
 */

/** Buckets per bisection step. */
export const FANOUT = 32;
/** A differing bucket of at most this many rows ships its keys and hashes instead of splitting. */
export const LEAF_ROWS = 512;
/** More differing buckets than this in one step: the changes are dense, the range is shipped whole. */
export const DENSE_BUCKETS = FANOUT / 4;

/** A key range: `after < key <= upTo` (null: open on that side). */
export interface KeyRange {
  after: string | null;
  upTo: string | null;
}

/** Where a range is read: the source table, or the replica's table (or its shadow). */
export interface RangeSide {
  session: MysqlSession;
  from: string;
}

/** One table's comparison: what is hashed per row (the whole row, or only its key). */
export interface FingerprintQuery {
  table: DiscoveredTable;
  key: string;
  keysOnly: boolean;
  /**
   * With `keysOnly`: compare each key's change-column value too (a stamp moved backwards, or any
   * stamped edit, shows as a differing key), still without hashing whole rows.
   */
  stampColumn?: string;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

/** Runs `work` on both sides at once: `[source result, replica result]`. */
export function onBoth<T>(
  sides: readonly [RangeSide, RangeSide],
  work: (side: RangeSide) => Promise<T>,
): Promise<[T, T]> {
  return Promise.all([work(sides[0]), work(sides[1])]);
}

/** Whether the key is an integer (OpenDental's keys all are): only then can ranges be bisected. */
export function bisectable(query: FingerprintQuery): boolean {
  const column = query.table.columns.find((c) => c.name === query.key);
  return column !== undefined && INTEGER_TYPES.has(column.dataType);
}

/**
 * The fingerprint columns (`n`, `x`) of a range. Rows: count and 64-bit XOR of row MD5s. An
 * integer key set: count, sum of the keys and XOR of their CRC32 (7× faster than an MD5 per key,
 * measured on MariaDB 10.11; a key inserted and another deleted always change the sum). Other
 * key sets: count and XOR of key MD5s.
 */
function fingerprintOf(query: FingerprintQuery): string {
  if (!query.keysOnly) return fingerprintSelect(rowHashExpression(query.table));
  if (!bisectable(query)) return fingerprintSelect(keyHashExpression(query.key));
  const key = quoteMysql(query.key);
  const hashed = query.stampColumn
    ? `CONCAT_WS(0x1f, ${key}, ${quoteMysql(query.stampColumn)})`
    : key;
  return `COUNT(*) AS n, CONCAT(COALESCE(SUM(${key}), 0), '/', COALESCE(BIT_XOR(CRC32(${hashed})), 0)) AS x`;
}

export function rangeWhere(key: string, range: KeyRange): { sql: string; params: string[] } {
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

/** Count and 64-bit XOR of a range on one side, as one comparable text. */
export async function rangeFingerprint(
  side: RangeSide,
  query: FingerprintQuery,
  range: KeyRange,
): Promise<string> {
  const where = rangeWhere(query.key, range);
  const [row] = await side.session.queryArrays(
    `SELECT ${fingerprintOf(query)} FROM ${quoteMysql(side.from)}${where.sql}`,
    where.params,
  );
  return `${row?.[0]}:${row?.[1]}`;
}

/** `key → hash` of every row of a range on one side (keys only: every hash is the same). */
export async function rangeHashes(
  side: RangeSide,
  query: FingerprintQuery,
  range: KeyRange,
): Promise<Map<string, string>> {
  const where = rangeWhere(query.key, range);
  const hash = !query.keysOnly
    ? rowHashExpression(query.table)
    : query.stampColumn
      ? `COALESCE(CAST(${quoteMysql(query.stampColumn)} AS CHAR), '')`
      : "''";
  const rows = await side.session.queryArrays(
    `SELECT ${quoteMysql(query.key)}, ${hash} FROM ${quoteMysql(side.from)}${where.sql}`,
    where.params,
  );
  return new Map(rows.map(([k, h]) => [String(k), String(h)]));
}

/** Bucket fingerprints of a closed integer range `[low, high]`: bucket → `count:xor`. */
async function bucketFingerprints(
  side: RangeSide,
  query: FingerprintQuery,
  span: { low: bigint; high: bigint; width: bigint },
): Promise<Map<string, { text: string; rows: number }>> {
  const key = quoteMysql(query.key);
  const rows = await side.session.queryArrays(
    `SELECT (${key} - ?) DIV ? AS b, ${fingerprintOf(query)}
       FROM ${quoteMysql(side.from)} WHERE ${key} >= ? AND ${key} <= ? GROUP BY b`,
    [String(span.low), String(span.width), String(span.low), String(span.high)],
  );
  return new Map(
    rows.map(([b, n, x]) => [String(b), { text: `${n}:${x}`, rows: Number(n) }] as const),
  );
}

/** The lowest and highest key of both sides together (null: both empty). */
export async function keySpan(
  sides: readonly [RangeSide, RangeSide],
  key: string,
): Promise<{ low: bigint; high: bigint } | null> {
  const read = async (side: RangeSide) => {
    const [row] = await side.session.queryArrays(
      `SELECT MIN(${quoteMysql(key)}), MAX(${quoteMysql(key)}) FROM ${quoteMysql(side.from)}`,
    );
    return row;
  };
  const [a, b] = await onBoth(sides, read);
  const values = [a?.[0], b?.[0], a?.[1], b?.[1]].filter((v) => v !== null && v !== undefined);
  if (values.length === 0) return null;
  const keys = values.map((v) => BigInt(String(v))).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return { low: keys[0] as bigint, high: keys[keys.length - 1] as bigint };
}

/** The keys and hashes of each side in the parts of a range that differ. */
export interface RangeComparison {
  differs: boolean;
  /** Source rows in the range (from the first statement's bucket counts). */
  sourceRows: number;
  source: Map<string, string>;
  replica: Map<string, string>;
  /** Bucket statements per side spent narrowing the range down. */
  bisections: number;
}

/**
 * Compares the closed integer range `[low, high]` of the two sides (`[source, replica]`) bucket by
 * bucket, and narrows what differs down to keys, whose hashes it returns from both sides. With
 * `firstLevelOnly` it stops at the first statement: whether the range differs at all.
 */
export async function compareRange(
  sides: readonly [RangeSide, RangeSide],
  query: FingerprintQuery,
  span: { low: bigint; high: bigint },
  options: { firstLevelOnly?: boolean } = {},
): Promise<RangeComparison> {
  const out: RangeComparison = {
    differs: false,
    sourceRows: -1,
    source: new Map(),
    replica: new Map(),
    bisections: 0,
  };
  const ship = async (low: bigint, high: bigint) => {
    const range = { after: String(low - 1n), upTo: String(high) };
    const [a, b] = await onBoth(sides, (side) => rangeHashes(side, query, range));
    for (const [k, h] of a) out.source.set(k, h);
    for (const [k, h] of b) out.replica.set(k, h);
  };
  const visit = async (low: bigint, high: bigint): Promise<void> => {
    const size = high - low + 1n;
    const width = size <= BigInt(FANOUT) ? 1n : (size + BigInt(FANOUT) - 1n) / BigInt(FANOUT);
    out.bisections++;
    const [a, b] = await onBoth(sides, (side) =>
      bucketFingerprints(side, query, { low, high, width }),
    );
    if (out.sourceRows < 0) out.sourceRows = [...a.values()].reduce((n, x) => n + x.rows, 0);
    const differing = [...new Set([...a.keys(), ...b.keys()])].filter(
      (bucket) => a.get(bucket)?.text !== b.get(bucket)?.text,
    );
    if (differing.length === 0) return;
    out.differs = true;
    if (options.firstLevelOnly) return;
    // Changes spread over most buckets: one statement per side for the range beats one per bucket.
    if (differing.length > DENSE_BUCKETS) return ship(low, high);
    for (const bucket of differing) {
      const x = a.get(bucket);
      const y = b.get(bucket);
      const bucketLow = low + BigInt(bucket) * width;
      const bucketHigh = bucketLow + width - 1n < high ? bucketLow + width - 1n : high;
      if (width === 1n || Math.max(x?.rows ?? 0, y?.rows ?? 0) <= LEAF_ROWS)
        await ship(bucketLow, bucketHigh);
      else await visit(bucketLow, bucketHigh);
    }
  };
  await visit(span.low, span.high);
  return out;
}
