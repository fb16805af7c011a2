import { createHash } from 'node:crypto';
import { quotePg } from './identifiers';
import type { PgSession } from './ports';
import { pgTransaction } from './transactions';

/**
 * A full rebuild of a PostgreSQL table that readers never see half-done: the new contents go into
 * a shadow table (its primary key and indexes built there), then one transaction drops the old
 * table and renames the shadow, its key and its indexes into place, together with whatever must
 * commit with the swap (a cursor, a change-log marker).
 */
export async function rebuildThroughShadow<T>(
  pg: PgSession,
  options: {
    schema: string;
    table: string;
    /** Creates the shadow table under the given (unqualified) name and fills it. */
    fill: (shadow: string) => Promise<T>;
    /** Primary key columns; none for a table without one. */
    primaryKey: readonly string[];
    /** Columns to index one by one. */
    indexed?: readonly string[];
    /** Runs inside the swap transaction. */
    inSwap: () => Promise<unknown>;
  },
): Promise<T> {
  const schema = quotePg(options.schema);
  const { table } = options;
  const shadow = `_etl_new_${table}`.slice(0, 63);
  const indexed = options.indexed ?? [];
  await pg.query(`DROP TABLE IF EXISTS ${schema}.${quotePg(shadow)}`);
  const filled = await options.fill(shadow);
  if (options.primaryKey.length > 0) {
    await pg.query(
      `ALTER TABLE ${schema}.${quotePg(shadow)} ADD CONSTRAINT ${quotePg(`${shadow}_pkey`)} PRIMARY KEY (${options.primaryKey.map(quotePg).join(', ')})`,
    );
  }
  for (const column of indexed) {
    await pg.query(
      `CREATE INDEX ${quotePg(indexName(shadow, column))} ON ${schema}.${quotePg(shadow)} (${quotePg(column)})`,
    );
  }
  // Readers see the old table until the commit, then the new one: never a partial table.
  await pgTransaction(pg, async () => {
    await pg.query(`DROP TABLE IF EXISTS ${schema}.${quotePg(table)}`);
    await pg.query(`ALTER TABLE ${schema}.${quotePg(shadow)} RENAME TO ${quotePg(table)}`);
    if (options.primaryKey.length > 0) {
      await pg.query(
        `ALTER TABLE ${schema}.${quotePg(table)} RENAME CONSTRAINT ${quotePg(`${shadow}_pkey`)} TO ${quotePg(`${table}_pkey`)}`,
      );
    }
    for (const column of indexed) {
      await pg.query(
        `ALTER INDEX ${schema}.${quotePg(indexName(shadow, column))} RENAME TO ${quotePg(indexName(table, column))}`,
      );
    }
    await options.inSwap();
  });
  return filled;
}

/** `<table>_<column>_idx`, or a hashed short form where that would pass PostgreSQL's 63 bytes. */
export function indexName(table: string, column: string): string {
  const name = `${table}_${column}_idx`;
  return name.length <= 63
    ? name
    : `${name.slice(0, 50)}_${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}
