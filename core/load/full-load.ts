import { quotePg } from '../db/identifiers';
import { rebuildThroughShadow } from '../db/pg-shadow-table';
import type { PgSession } from '../db/ports';
import { logRawFullRefresh } from '../handoff/raw-change-log';
import { ETL_COLUMNS } from '../handoff/raw-columns';
import type { CopyText } from './copy-line-reader';
import { type CopyOutcome, copyRows, copyText } from './copy-writer';
import { createRawTable } from './raw-schema';
import type { RawColumn } from './type-mapping';

/**
 * A full load: the replica's rows COPYed into a shadow of the raw table, its primary key built,
 * then swapped in with a full-refresh marker in raw's change log (so the transform rebuilds too)
 * and whatever else must commit with the swap (the load's cursor).
 */
export async function loadFull(
  pg: PgSession,
  options: {
    schemas: { raw: string; meta: string };
    /** The raw table's (lowercase) name. */
    name: string;
    columns: readonly RawColumn[];
    trailing: readonly string[];
    /** The replica's rows, as arrays (encoded here) or as COPY text the server built. */
    source: { rows: AsyncIterable<unknown[][]> } | { text: AsyncIterable<CopyText> };
    primaryKey: readonly string[];
    runId: string;
    inSwap: () => Promise<unknown>;
  },
): Promise<CopyOutcome> {
  const { schemas, columns } = options;
  const columnList = [...columns.map((c) => c.name), ...ETL_COLUMNS.map((c) => c.name)]
    .map(quotePg)
    .join(', ');
  return rebuildThroughShadow(pg, {
    schema: schemas.raw,
    table: options.name,
    primaryKey: options.primaryKey,
    fill: async (shadow) => {
      for (const statement of createRawTable(schemas.raw, shadow, columns))
        await pg.query(statement);
      const sql = `COPY ${quotePg(schemas.raw)}.${quotePg(shadow)} (${columnList}) FROM STDIN`;
      const { source } = options;
      return 'text' in source
        ? copyText(pg, { sql, pieces: source.text })
        : copyRows(pg, { sql, columns, trailing: options.trailing, chunks: source.rows });
    },
    inSwap: async () => {
      await logRawFullRefresh(pg, schemas.meta, options.name, options.runId);
      await options.inSwap();
    },
  });
}
