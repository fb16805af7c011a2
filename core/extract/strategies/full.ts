import { copyFull } from '../full-copy';
import type { ExtractStrategy } from './strategy';

/**
 * The whole table copied into a shadow, validated, and swapped in with an atomic RENAME; a
 * full-refresh marker tells the load to reload too. It is what a first extract, a schema rebuild
 * and `--force` run, and the only way to copy a table without a primary key.
 */
export const fullStrategy: ExtractStrategy = {
  requiredFor: (table) =>
    table.primaryKey.length === 0 ? 'no primary key: copied whole every run' : null,
  choose: () => null,
  canRun: () => true,
  nightlyPass: false,
  run: async (context) => {
    const copied = await copyFull({
      source: context.source,
      replica: context.replica,
      table: context.table,
      showCreate: context.showCreate,
      batchSize: context.batchSize,
      runId: context.runId,
      exists: context.replicaHasTable,
    });
    return { inserted: copied.rows, updated: 0, deleted: 0, bytes: copied.bytes };
  },
};
