import { quoteMysql } from '../db/identifiers';
import { rowHashExpression } from '../db/row-sql';
import type { DiscoveredTable } from '../discovery/discover-schema';

/**
 * Fingerprints of key ranges for the checksum comparison: the same expressions run on the source
 * and on the replica (same engine, same column types), so equal ranges fingerprint equally.
 */

/** Count and an order-independent 64-bit XOR of row hashes: a chunk's fingerprint. */
export function chunkChecksumSelect(table: DiscoveredTable): string {
  return xorOfHashes(rowHashExpression(table));
}

/** The hash of the key alone: enough to find rows present on one side only, read from the index. */
export function keyHashExpression(key: string): string {
  return `MD5(${quoteMysql(key)})`;
}

/** Count and XOR of key hashes: a chunk's key-set fingerprint (no row is read, only the key). */
export function keySetChecksumSelect(key: string): string {
  return xorOfHashes(keyHashExpression(key));
}

/** Count and 64-bit XOR of a per-row MD5 expression (its first 16 hex digits): `n`, `x`. */
export function fingerprintSelect(md5: string): string {
  return xorOfHashes(md5);
}

function xorOfHashes(md5: string): string {
  return `COUNT(*) AS n, COALESCE(BIT_XOR(CAST(CONV(LEFT(${md5}, 16), 16, 10) AS UNSIGNED)), 0) AS x`;
}
