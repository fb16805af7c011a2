import { quotePg } from '../db/identifiers';
import type { MysqlSession, PgSession } from '../db/ports';
import { readByKeys } from '../db/table-reader';
import { type DiscoveredTable, keyColumn } from '../discovery/discover-schema';
import {
  applyChangeWindow,
  type ChangeBatch,
  type ChangeLogReader,
  type ChangeWindow,
} from '../handoff/change-log';
import { rawChangeLogTable } from '../handoff/raw-change-log';
import { ETL_COLUMNS } from '../handoff/raw-columns';
import { addConversions, type Conversions, emptyConversions } from './copy-encoder';
import { copyRows } from './copy-writer';
import type { RawColumn } from './type-mapping';

export interface AppliedChanges {
  rowsUpserted: number;
  rowsDeleted: number;
  /** Change-log entries applied. */
  changes: number;
  conversions: Conversions;
  bytes: number;
}

/**
 * The incremental load: the replica change log's window applied to raw, inside the caller's
 * transaction. Per batch, the changed rows are read from the replica, COPYed into a staging
 * table and upserted where their values differ; deleted keys are removed. Every row that changed
 * in raw is logged to raw's change log for the transform.
 */
export async function loadChanges(
  pg: PgSession,
  options: {
    replica: MysqlSession;
    table: DiscoveredTable;
    changeLog: ChangeLogReader;
    window: ChangeWindow;
    schemas: { raw: string; meta: string };
    name: string;
    columns: readonly RawColumn[];
    trailing: readonly string[];
  },
): Promise<AppliedChanges> {
  const { table, name, columns } = options;
  const raw = `${quotePg(options.schemas.raw)}.${quotePg(name)}`;
  const key = keyColumn(table) as string;
  const keyIndex = table.columns.findIndex((c) => c.name === key);
  const keyRaw = columns.find((c) => c.source === key) as RawColumn;
  const stage = quotePg(`_etl_stage_${name}`.slice(0, 63));
  const rawLog = rawChangeLogTable(options.schemas.meta);
  const runId = options.trailing[1];
  await pg.query(`CREATE TEMP TABLE ${stage} (LIKE ${raw}) ON COMMIT DROP`);
  const data = columns.map((c) => quotePg(c.name));
  const all = [...data, ...ETL_COLUMNS.map((c) => quotePg(c.name))];
  const updates = all.filter((c) => c !== quotePg(keyRaw.name)).map((c) => `${c} = EXCLUDED.${c}`);
  const differs = `(${data.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${data.map((c) => `EXCLUDED.${c}`).join(', ')})`;

  const total: AppliedChanges = {
    rowsUpserted: 0,
    rowsDeleted: 0,
    changes: 0,
    conversions: emptyConversions(),
    bytes: 0,
  };
  const applyBatch = async ({ upserts, deletes }: ChangeBatch) => {
    const rows = await readByKeys(options.replica, table, upserts);
    const present = new Set(rows.map((r) => String(r[keyIndex])));
    // A key logged as upserted but gone from the replica was deleted since: delete it here too.
    const gone = [...deletes, ...upserts.filter((k) => !present.has(k))];
    if (rows.length > 0) {
      await pg.query(`TRUNCATE ${stage}`);
      const copied = await copyRows(pg, {
        sql: `COPY ${stage} (${all.join(', ')}) FROM STDIN`,
        columns,
        trailing: options.trailing,
        chunks: (async function* () {
          yield rows;
        })(),
      });
      total.bytes += copied.bytes;
      total.conversions = addConversions(total.conversions, copied.conversions);
      const [upserted] = await pg.query<{ n: string }>(
        `WITH changed AS (
           INSERT INTO ${raw} AS t (${all.join(', ')}) SELECT ${all.join(', ')} FROM ${stage}
           ON CONFLICT (${quotePg(keyRaw.name)}) DO UPDATE SET ${updates.join(', ')} WHERE ${differs}
           RETURNING t.${quotePg(keyRaw.name)}::text AS pk),
         logged AS (INSERT INTO ${rawLog} (table_name, op, pk, run_id) SELECT $1, 'U', pk, $2 FROM changed)
         SELECT count(*)::text AS n FROM changed`,
        [name, runId],
      );
      total.rowsUpserted += Number(upserted?.n ?? 0);
    }
    if (gone.length > 0) {
      const [deleted] = await pg.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${raw} WHERE ${quotePg(keyRaw.name)} = ANY($1::text[]::${keyRaw.pgType}[])
           RETURNING ${quotePg(keyRaw.name)}::text AS pk),
         logged AS (INSERT INTO ${rawLog} (table_name, op, pk, run_id) SELECT $2, 'D', pk, $3 FROM gone)
         SELECT count(*)::text AS n FROM gone`,
        [gone, name, runId],
      );
      total.rowsDeleted += Number(deleted?.n ?? 0);
    }
  };
  total.changes = await applyChangeWindow({
    log: options.changeLog,
    table: table.name,
    window: options.window,
    apply: applyBatch,
  });
  return total;
}
