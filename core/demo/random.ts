/**
 * Counter-based randomness: every value is a pure function of (seed, table, row, salt), so
 * tables can be generated in any order, one table can compute another's values (which patient
 * an appointment belongs to) without reading it, and the same `--seed` always gives the same data.
 */

/** A 32-bit avalanche mix (murmur3 finalizer). */
export function mix32(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stable 32-bit hash of a string (FNV-1a, then mixed). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** The seed of one table's stream of values. */
export function tableSeed(seed: number, table: string): number {
  return mix32(hashString(table) ^ mix32(seed));
}

/** The hash of one row: the base every column's value of that row is drawn from. */
export function rowHash(seedOfTable: number, row: number): number {
  return mix32(seedOfTable + Math.imul(row, 0x9e3779b1));
}

/** A uniform number in [0, 1) for one (row, salt) pair. */
export function unit(row: number, salt: number): number {
  return mix32(row ^ salt) / 4294967296;
}

/** A uniform integer in [min, max]. */
export function between(row: number, salt: number, min: number, max: number): number {
  return min + Math.floor(unit(row, salt) * (max - min + 1));
}

/** One element of `items`, uniformly. */
export function pick<T>(row: number, salt: number, items: readonly T[]): T {
  return items[Math.floor(unit(row, salt) * items.length)] as T;
}

/** A small deterministic sequence for building value pools (names, sentences). */
export function sequence(seed: number): () => number {
  let state = mix32(seed) || 1;
  return () => {
    state = mix32(state + 0x6d2b79f5);
    return state / 4294967296;
  };
}
