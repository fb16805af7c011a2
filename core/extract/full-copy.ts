import { ValidationError } from '../../contract/errors';
import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { countRows } from '../db/table-reader';
import { inTransaction } from '../db/transactions';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { logReplicaChanges } from '../handoff/replica-change-log';
import { type LineFingerprint, LineFolder, readLines, storedFingerprint } from './line-reader';
import { reconcileTable } from './reconcile';
import { replicaDdl, workTableName } from './replica-ddl';
import { bulkLoad } from './replica-writer';
import { readUpdateTime, writtenSince } from './source-writes';

/**
 * Full copy: the source's rows stream in key chunks into a shadow table (primary key only, bulk
 * LOAD DATA), the shadow is checked against what was read, the secondary indexes are built, a
 * full-refresh marker goes to the change log, and an atomic `RENAME TABLE` swaps the shadow in.
 * Readers of the replica never see a partial table.
 *
 * The check is folded into the read: the count and XOR of the MD5 of every line read must equal
 * the same aggregate computed by the replica over the shadow (one scan of the shadow, none more
 * of the source). An InnoDB source is read in one consistent snapshot, so that check is
 * complete. A MyISAM source has no snapshot (and no LOCK TABLES is taken): when its
 * `UPDATE_TIME` says it was written while it was read, or the fingerprints differ, the shadow is
 * compared with the source range by range, repaired, and compared again.
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
}): Promise<{
  rows: number;
  bytes: number;
  /** How the shadow was checked: by the fingerprint of what was read, or against the source. */
  checkedBy: 'fingerprint' | 'source';
}> {
  const { source, replica, table } = options;
  const shadow = workTableName('new', table.name);
  const old = workTableName('old', table.name);
  const ddl = replicaDdl(options.showCreate, shadow);
  const innodb = table.engine.toLowerCase() === 'innodb';

  await replica.execute(`DROP TABLE IF EXISTS ${quoteMysql(shadow)}`);
  await replica.execute(ddl.withoutSecondaryIndexes);
  const { now: readStarted } = await readUpdateTime(source, table.name);
  const folder = new LineFolder();
  if (innodb) await source.execute('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  let bytes: number;
  let checkedBy: 'fingerprint' | 'source' = 'fingerprint';
  try {
    ({ bytes } = await bulkLoad(
      replica,
      shadow,
      table,
      readLines(source, table, { batchSize: options.batchSize, folder }),
      () => folder.fingerprint.rows,
    ));
    const matches = sameFingerprint(
      folder.fingerprint,
      await storedFingerprint(replica, shadow, table),
    );
    const written = innodb ? false : await writtenWhileRead(source, table, readStarted);
    if (!matches || written) {
      checkedBy = 'source';
      await checkAgainstSource(options, shadow, matches);
    }
  } finally {
    if (innodb) await source.execute('COMMIT').catch(() => {});
  }
  if (ddl.addSecondaryIndexes) await replica.execute(ddl.addSecondaryIndexes);
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
  return { rows: folder.fingerprint.rows, bytes, checkedBy };
}

function sameFingerprint(a: LineFingerprint, b: LineFingerprint): boolean {
  return a.rows === b.rows && a.xor === b.xor;
}

/**
 * Whether a source without a snapshot was written while it was read: its `UPDATE_TIME` at or
 * after the read started (to the second, with a second's margin). Unknown counts as written.
 */
async function writtenWhileRead(
  source: MysqlSession,
  table: DiscoveredTable,
  readStarted: string,
): Promise<boolean> {
  const { updateTime, now } = await readUpdateTime(source, table.name);
  const written = writtenSince({ engine: table.engine, updateTime }, readStarted, {
    sourceNow: now,
    clockSteppedBack: false,
    toleranceSeconds: 1,
  });
  return written.written !== 'no';
}

/**
 * The shadow compared with the source: range by range (single-column key), repaired where rows
 * were written to the source while it was read, then compared again; without such a key, by
 * count (and the fingerprint of what was read must have matched).
 */
async function checkAgainstSource(
  options: {
    source: MysqlSession;
    replica: MysqlSession;
    table: DiscoveredTable;
    batchSize: number;
  },
  shadow: string,
  fingerprintMatched: boolean,
): Promise<void> {
  const { source, replica, table } = options;
  const context = { table: table.name, stage: 'extract' as const };
  if (table.primaryKey.length === 1) {
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
  } else if (!fingerprintMatched) {
    throw new ValidationError('shadow copy differs from the rows read from the source', context);
  }
  const [sourceRows, shadowRows] = [
    await countRows(source, table.name),
    await countRows(replica, shadow),
  ];
  if (sourceRows !== shadowRows) {
    throw new ValidationError(`shadow copy has ${shadowRows} rows, source ${sourceRows}`, context);
  }
}
