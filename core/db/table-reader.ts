import type { DiscoveredTable } from '../discovery/discover-schema';
import { keyColumn } from '../discovery/discover-schema';
import { quoteMysql } from './identifiers';
import type { MysqlSession } from './ports';
import { rowHashExpression, selectList } from './row-sql';

/**
 * Reads a source table gently: short primary-key chunks (`WHERE pk > last ORDER BY pk LIMIT n`),
 * each its own brief statement, so no long lock is held even on MyISAM; the next chunk is only
 * read when the writer has taken the previous one (the async iterator is pulled).
 */
export interface ChunkReadOptions {
  batchSize: number;
  /** Extra condition, e.g. the timestamp strategy's `change_col >= ?`. */
  where?: { sql: string; params: readonly unknown[] };
  /** Start after this key (exclusive); null reads from the first row. */
  afterKey?: string | null;
  /** Append the row hash as a last element of each row. */
  withHash?: boolean;
  /** Read from this table instead of the source table's own name (e.g. a shadow copy). */
  from?: string;
}

export async function* readChunks(
  session: MysqlSession,
  table: DiscoveredTable,
  options: ChunkReadOptions,
): AsyncGenerator<unknown[][]> {
  const key = keyColumn(table);
  const columns =
    selectList(table) + (options.withHash ? `, ${rowHashExpression(table)} AS _etl_hash` : '');
  const from = quoteMysql(options.from ?? table.name);
  if (!key) {
    // No single-column key (the `full` fallback): one statement, still delivered in batches.
    const rows = await session.queryArrays(
      `SELECT ${columns} FROM ${from}${options.where ? ` WHERE ${options.where.sql}` : ''}`,
      options.where?.params ?? [],
    );
    for (let i = 0; i < rows.length; i += options.batchSize)
      yield rows.slice(i, i + options.batchSize);
    return;
  }
  const keyIndex = table.columns.findIndex((c) => c.name === key);
  let after = options.afterKey ?? null;
  for (;;) {
    const conditions = [
      ...(after === null ? [] : [`${quoteMysql(key)} > ?`]),
      ...(options.where ? [`(${options.where.sql})`] : []),
    ];
    const params = [...(after === null ? [] : [after]), ...(options.where?.params ?? [])];
    const rows = await session.queryArrays(
      `SELECT ${columns} FROM ${from}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${quoteMysql(key)} LIMIT ${options.batchSize}`,
      params,
    );
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < options.batchSize) return;
    after = String((rows[rows.length - 1] as unknown[])[keyIndex]);
  }
}

/** Rows by key (single-column key), in batches; with the row hash as last element when asked. */
export async function readByKeys(
  session: MysqlSession,
  table: DiscoveredTable,
  keys: readonly string[],
  options: { withHash?: boolean; from?: string } = {},
): Promise<unknown[][]> {
  const key = keyColumn(table);
  if (!key || keys.length === 0) return [];
  const columns =
    selectList(table) + (options.withHash ? `, ${rowHashExpression(table)} AS _etl_hash` : '');
  const out: unknown[][] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    out.push(
      ...(await session.queryArrays(
        `SELECT ${columns} FROM ${quoteMysql(options.from ?? table.name)} WHERE ${quoteMysql(key)} IN (?)`,
        [keys.slice(i, i + 1000)],
      )),
    );
  }
  return out;
}

/** `key → row hash` for the given keys. */
export async function hashesByKeys(
  session: MysqlSession,
  table: DiscoveredTable,
  keys: readonly string[],
  from: string = table.name,
): Promise<Map<string, string>> {
  const key = keyColumn(table);
  const hashes = new Map<string, string>();
  if (!key) return hashes;
  for (let i = 0; i < keys.length; i += 1000) {
    const rows = await session.queryArrays(
      `SELECT ${quoteMysql(key)}, ${rowHashExpression(table)} FROM ${quoteMysql(from)} WHERE ${quoteMysql(key)} IN (?)`,
      [keys.slice(i, i + 1000)],
    );
    for (const [k, h] of rows) hashes.set(String(k), String(h));
  }
  return hashes;
}

export async function countRows(session: MysqlSession, table: string): Promise<number> {
  const [row] = await session.queryArrays(`SELECT COUNT(*) FROM ${quoteMysql(table)}`);
  return Number(row?.[0] ?? 0);
}
