import { oncePerSession } from '../db/once-per-session';
import type { MysqlSession } from '../db/ports';

/**
 * `_etl_extract_state` in the replica (InnoDB, beside the data it describes): per table, the
 * watermark of the timestamp strategy, the strategy last used and the runs since the last full
 * comparison.
 */
export const STATE_TABLE = '_etl_extract_state';

export interface ExtractState {
  table_name: string;
  strategy: string;
  /** Source-server time captured before the last successful read (`YYYY-MM-DD HH:MM:SS`). */
  watermark: string | null;
  runs_since_reconcile: number;
  last_run_id: string;
}

export async function ensureExtractState(replica: MysqlSession): Promise<void> {
  await oncePerSession(replica, 'extract-state', async () => {
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
  });
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
