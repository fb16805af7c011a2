import { oncePerSession } from '../db/once-per-session';
import type { MysqlSession } from '../db/ports';

/**
 * The extract's bookkeeping, kept in the replica beside the data it describes (InnoDB, so that it
 * commits in the same transaction as the rows):
 *
 * - `_etl_changelog`: one entry per primary key the extract inserted, updated (`U`) or deleted
 *   (`D`), or a full-refresh marker (`F`, no key). `seq` grows monotonically; the load stage reads
 *   a table's entries past its own cursor.
 * - `_etl_extract_state`: per table, the watermark of the timestamp strategy, the strategy last
 *   used and the runs since the last checksum reconcile.
 */
export const CHANGELOG_TABLE = '_etl_changelog';
export const STATE_TABLE = '_etl_extract_state';

export type ChangeOp = 'U' | 'D' | 'F';

export interface ExtractState {
  table_name: string;
  strategy: string;
  /** Source-server time captured before the last successful read (`YYYY-MM-DD HH:MM:SS`). */
  watermark: string | null;
  runs_since_reconcile: number;
  last_run_id: string;
}

export async function ensureBookkeeping(replica: MysqlSession): Promise<void> {
  await oncePerSession(replica, 'extract-bookkeeping', () => createBookkeeping(replica));
}

async function createBookkeeping(replica: MysqlSession): Promise<void> {
  await replica.execute(
    `CREATE TABLE IF NOT EXISTS ${CHANGELOG_TABLE} (
       seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
       table_name VARCHAR(64) NOT NULL,
       op CHAR(1) NOT NULL,
       pk VARCHAR(1024) NULL,
       run_id VARCHAR(64) NOT NULL,
       logged_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
       KEY table_seq (table_name, seq)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
  await replica.execute(
    `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
       table_name VARCHAR(64) NOT NULL PRIMARY KEY,
       strategy VARCHAR(16) NOT NULL,
       watermark VARCHAR(32) NULL,
       runs_since_reconcile INT NOT NULL DEFAULT 0,
       last_run_id VARCHAR(64) NOT NULL,
       updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  );
}

/** Appends entries; call inside the transaction that wrote the rows. */
export async function logChanges(
  replica: MysqlSession,
  table: string,
  runId: string,
  op: ChangeOp,
  keys: readonly (string | null)[],
): Promise<void> {
  for (let i = 0; i < keys.length; i += 2000) {
    const rows = keys.slice(i, i + 2000).map((pk) => [table, op, pk, runId]);
    await replica.execute(`INSERT INTO ${CHANGELOG_TABLE} (table_name, op, pk, run_id) VALUES ?`, [
      rows,
    ]);
  }
}

export async function readState(
  replica: MysqlSession,
  table: string,
): Promise<ExtractState | null> {
  const [row] = await replica.query<ExtractState>(
    `SELECT * FROM ${STATE_TABLE} WHERE table_name = ?`,
    [table],
  );
  return row ? { ...row, runs_since_reconcile: Number(row.runs_since_reconcile) } : null;
}

export async function writeState(replica: MysqlSession, state: ExtractState): Promise<void> {
  await replica.execute(
    `INSERT INTO ${STATE_TABLE} (table_name, strategy, watermark, runs_since_reconcile, last_run_id)
     VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE strategy = VALUES(strategy), watermark = VALUES(watermark),
       runs_since_reconcile = VALUES(runs_since_reconcile), last_run_id = VALUES(last_run_id)`,
    [
      state.table_name,
      state.strategy,
      state.watermark,
      state.runs_since_reconcile,
      state.last_run_id,
    ],
  );
}

/** Runs `work` in one replica transaction. */
export async function inTransaction<T>(replica: MysqlSession, work: () => Promise<T>): Promise<T> {
  await replica.execute('START TRANSACTION');
  try {
    const result = await work();
    await replica.execute('COMMIT');
    return result;
  } catch (error) {
    await replica.execute('ROLLBACK').catch(() => {});
    throw error;
  }
}
