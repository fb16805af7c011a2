import { quoteMysql } from '../../db/identifiers';
import { readChunks } from '../../db/table-reader';
import { keyColumn } from '../../discovery/discover-schema';
import { applyChangedChunks } from '../changed-chunks';
import type { ExtractStrategy } from './strategy';

/**
 * Rows whose change column (`DateTStamp`, `SecDateTEdit`, …) is at or after the stored watermark
 * minus the overlap window, read in key chunks with their row hash; rows the replica already
 * holds unchanged (the overlap re-reads some) are neither written nor logged.
 */
export const timestampStrategy: ExtractStrategy = {
  choose: (table, override) => {
    if (override.change_column) return 'change column set in tables.yml';
    return table.changeColumn ? `change column ${table.changeColumn}` : null;
  },
  canRun: (table) => keyColumn(table) !== null && table.changeColumn !== null,
  nightlyPass: true,
  run: (context) => {
    const since =
      context.windowStart !== undefined ? context.windowStart : (context.state?.watermark ?? null);
    const change = context.table.changeColumn as string;
    const where =
      since === null
        ? undefined
        : {
            sql: `${quoteMysql(change)} >= ? - INTERVAL ? MINUTE`,
            params: [since, context.overlapMinutes],
          };
    return applyChangedChunks(
      { ...context, changeColumn: change },
      readChunks(context.source, context.table, {
        batchSize: context.batchSize,
        where,
        withHash: true,
      }),
    );
  },
};
