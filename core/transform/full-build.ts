import { quotePg } from '../db/identifiers';
import { rebuildThroughShadow } from '../db/pg-shadow-table';
import type { PgSession } from '../db/ports';
import type { PublicColumn } from './public-columns';

/**
 * A full build of one public table from raw, through a shadow table: rows with OpenDental's
 * meaning applied, the primary key, an index on every reference column (`*_num`, what analysts
 * join on), and a comment on the table and each column. Returns the rows written.
 */
export async function buildPublicTable(
  pg: PgSession,
  options: {
    schemas: { raw: string; public: string };
    table: string;
    columns: readonly PublicColumn[];
    /** raw's primary key columns. */
    primaryKey: readonly string[];
    inSwap: () => Promise<unknown>;
  },
): Promise<number> {
  const { schemas, table, columns } = options;
  const pub = quotePg(schemas.public);
  const key = columns.filter((c) => c.isKey).map((c) => c.name);
  return rebuildThroughShadow(pg, {
    schema: schemas.public,
    table,
    primaryKey: key.length > 0 && key.length === options.primaryKey.length ? key : [],
    indexed: columns.filter((c) => !c.isKey && /_num$/.test(c.name)).map((c) => c.name),
    inSwap: options.inSwap,
    fill: async (shadow) => {
      const target = `${pub}.${quotePg(shadow)}`;
      await pg.query(
        `CREATE TABLE ${target} AS SELECT ${columns.map((c) => `${c.expression} AS ${quotePg(c.name)}`).join(', ')}
           FROM ${quotePg(schemas.raw)}.${quotePg(table)} r`,
      );
      const [written] = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${target}`);
      await pg.query(
        `COMMENT ON TABLE ${target} IS ${literal(`OpenDental table ${table}, built from raw.${table} with OpenDental's meaning applied (see docs/transform.md).`)}`,
      );
      for (const c of columns) {
        await pg.query(`COMMENT ON COLUMN ${target}.${quotePg(c.name)} IS ${literal(c.comment)}`);
      }
      return Number(written?.n ?? 0);
    },
  });
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
