import { quoteMysql } from '../db/identifiers';

/**
 * Fingerprint expressions of the range comparison: the same expressions run on the source and on
 * the replica (same engine, same column types), so equal ranges fingerprint equally.
 */

/** The hash of the key alone: enough to find rows present on one side only, read from the index. */
export function keyHashExpression(key: string): string {
  return `MD5(${quoteMysql(key)})`;
}

/** Count and an order-independent 64-bit XOR of a per-row MD5 (its first 16 hex digits): `n`, `x`. */
export function fingerprintSelect(md5: string): string {
  return `COUNT(*) AS n, COALESCE(BIT_XOR(CAST(CONV(LEFT(${md5}, 16), 16, 10) AS UNSIGNED)), 0) AS x`;
}
