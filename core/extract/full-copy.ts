import { ValidationError } from '../../contract/errors';
import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { countRows, readChunks } from '../db/table-reader';
import { inTransaction } from '../db/transactions';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { logReplicaChanges } from '../handoff/replica-change-log';
import { reconcileTable } from './reconcile';
import { replicaDdl, workTableName } from './replica-ddl';
import { bulkLoad } from './replica-writer';

/**
 * Full copy: the source's rows stream in key chunks into a shadow table (primary key only, bulk
 * LOAD DATA), the secondary indexes are built, the shadow is checked against the source (row
 * count and range checksums), a full-refresh marker goes to the change log, and an atomic
 * `RENAME TABLE` swaps the shadow in. Readers of the replica never see a partial table.
 */
export async function copyFull(options: {
  source: MysqlSession;
  replica: MysqlSession;
  table: DiscoveredTable;
  showCreate: string;
  batchSize: number;
  runId: string;
  /** Whether the replica already has the table (then it is swapped out and dropped). */
  exists: boolean;
}): Promise<{ rows: number; bytes: number }> {
  const { source, replica, table } = options;
  const context = { table: table.name, stage: 'extract' as const };
  const shadow = workTableName('new', table.name);
  const old = workTableName('old', table.name);
  const ddl = replicaDdl(options.showCreate, shadow);
  const innodb = table.engine.toLowerCase() === 'innodb';

  await replica.execute(`DROP TABLE IF EXISTS ${quoteMysql(shadow)}`);
  await replica.execute(ddl.withoutSecondaryIndexes);
  // InnoDB sources are read in one consistent snapshot; MyISAM has none (and no LOCK TABLES is taken).
  if (innodb) await source.execute('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  let copied: { rows: number; bytes: number };
  try {
    copied = await bulkLoad(
      replica,
      shadow,
      table,
      readChunks(source, table, { batchSize: options.batchSize }),
    );
    if (ddl.addSecondaryIndexes) await replica.execute(ddl.addSecondaryIndexes);
    if (table.primaryKey.length === 1) {
      // Rows written to the source while it was read are repaired in the shadow, then checked again.
      const check = (dryRun: boolean) =>
        reconcileTable({
          source,
          replica,
          table,
          target: shadow,
          rowsPerRange: options.batchSize * 10,
          dryRun,
          log: null,
          transaction: (work) => inTransaction(replica, work),
        });
      if ((await check(true)).rangesDiffering > 0) {
        await check(false);
        if ((await check(true)).rangesDiffering > 0) {
          throw new ValidationError('shadow copy differs from the source after repair', context);
        }
      }
    }
    const [sourceRows, shadowRows] = [
      await countRows(source, table.name),
      await countRows(replica, shadow),
    ];
    if (sourceRows !== shadowRows) {
      throw new ValidationError(
        `shadow copy has ${shadowRows} rows, source ${sourceRows}`,
        context,
      );
    }
  } finally {
    if (innodb) await source.execute('COMMIT').catch(() => {});
  }
  // The marker is committed before the swap: a crash in between leaves the old table and a
  // marker, and the load then reloads a consistent table; the extract redoes the copy next run.
  await logReplicaChanges(replica, {
    table: table.name,
    runId: options.runId,
    op: 'F',
    keys: [null],
  });
  if (options.exists) {
    await replica.execute(`DROP TABLE IF EXISTS ${quoteMysql(old)}`);
    await replica.execute(
      `RENAME TABLE ${quoteMysql(table.name)} TO ${quoteMysql(old)}, ${quoteMysql(shadow)} TO ${quoteMysql(table.name)}`,
    );
    await replica.execute(`DROP TABLE ${quoteMysql(old)}`);
  } else {
    await replica.execute(`DROP TABLE IF EXISTS ${quoteMysql(table.name)}`);
    await replica.execute(`RENAME TABLE ${quoteMysql(shadow)} TO ${quoteMysql(table.name)}`);
  }
  return copied;
}
