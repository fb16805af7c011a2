import { quotePg } from '../db/identifiers';
import type { PgSession } from '../db/ports';
import {
  applyChangeWindow,
  type ChangeBatch,
  type ChangeLogReader,
  type ChangeWindow,
} from '../handoff/change-log';
import { isEtlColumn } from '../handoff/raw-columns';
import { columnType } from './pg-catalog';
import type { PublicColumn } from './public-columns';

/**
 * The incremental transform: raw's change-log window applied to the public table, inside the
 * caller's transaction. Changed keys are re-derived from raw and upserted where their public
 * values differ; keys whose raw row is gone are deleted.
 */
export async function transformChanges(
  pg: PgSession,
  options: {
    schemas: { raw: string; public: string };
    table: string;
    columns: readonly PublicColumn[];
    changeLog: ChangeLogReader;
    window: ChangeWindow;
  },
): Promise<{ rowsUpserted: number; rowsDeleted: number; changes: number }> {
  const { schemas, table, columns } = options;
  const key = columns.find((c) => c.isKey) as PublicColumn;
  const keyType = (await columnType(pg, schemas.public, table, key.name)) ?? 'bigint';
  const pub = `${quotePg(schemas.public)}.${quotePg(table)}`;
  const rawTable = `${quotePg(schemas.raw)}.${quotePg(table)}`;
  const names = columns.map((c) => quotePg(c.name));
  const data = columns.filter((c) => !isEtlColumn(c.name)).map((c) => quotePg(c.name));
  const updates = names.filter((n) => n !== quotePg(key.name)).map((n) => `${n} = EXCLUDED.${n}`);
  const keys = `$1::text[]::${keyType}[]`;
  let rowsUpserted = 0;
  let rowsDeleted = 0;
  const applyBatch = async ({ upserts, deletes }: ChangeBatch) => {
    if (upserts.length > 0) {
      const [upserted] = await pg.query<{ n: string }>(
        `WITH changed AS (
           INSERT INTO ${pub} AS p (${names.join(', ')})
           SELECT ${columns.map((c) => c.expression).join(', ')} FROM ${rawTable} r WHERE r.${quotePg(key.raw)} = ANY(${keys})
           ON CONFLICT (${quotePg(key.name)}) DO UPDATE SET ${updates.join(', ')}
           WHERE (${data.map((n) => `p.${n}`).join(', ')}) IS DISTINCT FROM (${data.map((n) => `EXCLUDED.${n}`).join(', ')})
           RETURNING 1)
         SELECT count(*)::text AS n FROM changed`,
        [upserts],
      );
      rowsUpserted += Number(upserted?.n ?? 0);
    }
    // A key logged as upserted whose raw row is gone now was deleted since.
    const candidates = [...deletes, ...upserts];
    if (candidates.length > 0) {
      const [deleted] = await pg.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${pub} p WHERE p.${quotePg(key.name)} = ANY(${keys})
           AND NOT EXISTS (SELECT 1 FROM ${rawTable} r WHERE r.${quotePg(key.raw)} = p.${quotePg(key.name)}) RETURNING 1)
         SELECT count(*)::text AS n FROM gone`,
        [candidates],
      );
      rowsDeleted += Number(deleted?.n ?? 0);
    }
  };
  const changes = await applyChangeWindow({
    log: options.changeLog,
    table,
    window: options.window,
    apply: applyBatch,
  });
  return { rowsUpserted, rowsDeleted, changes };
}
