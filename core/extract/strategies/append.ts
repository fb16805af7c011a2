import { quoteMysql } from '../../db/identifiers';
import { readChunks } from '../../db/table-reader';
import { keyColumn } from '../../discovery/discover-schema';
import { APPEND_ONLY_TABLES } from '../../opendental/core-tables';
import { applyChangedChunks } from '../changed-chunks';
import type { ExtractStrategy } from './strategy';

/** Rows with a key above the replica's highest key: append-only logs such as `securitylog`. */
export const appendStrategy: ExtractStrategy = {
  choose: (table) => (APPEND_ONLY_TABLES.includes(table.name) ? 'append-only log table' : null),
  canRun: (table) => keyColumn(table) !== null,
  nightlyPass: true,
  run: async (context) => {
    const key = keyColumn(context.table) as string;
    const [row] = await context.replica.queryArrays(
      `SELECT MAX(${quoteMysql(key)}) FROM ${quoteMysql(context.table.name)}`,
    );
    const afterKey = row?.[0] === null || row?.[0] === undefined ? null : String(row[0]);
    return applyChangedChunks(
      context,
      readChunks(context.source, context.table, {
        batchSize: context.batchSize,
        afterKey,
        withHash: true,
      }),
    );
  },
};
