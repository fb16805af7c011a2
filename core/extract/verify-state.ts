import { oncePerSession } from '../db/once-per-session';
import type { MysqlSession } from '../db/ports';

/**
 * `_etl_verify_state` in the replica, beside the data it vouches for: per table, how far the
 * nightly comparison has verified the replica against the source, where its rolling cycle stands,
 * and both servers' clocks at the table's last extract (to notice a source clock stepped back).
 */
export const VERIFY_STATE_TABLE = '_etl_verify_state';

export interface VerifyState {
  table_name: string;
  /**
   * Source-clock time (`YYYY-MM-DD HH:MM:SS`, UTC) before which every change is in the replica:
   * when the last whole comparison, or the last completed rolling cycle, began. Null: never.
   */
  verified_through: string | null;
  /** Replica-clock time (UTC) the last whole comparison or rolling cycle completed. */
  verified_at: string | null;
  /** Source-clock time the current rolling cycle began (null: none under way). */
  cycle_started: string | null;
  /** Last key the rolling cycle compared (null: the next slice starts at the first key). */
  cycle_cursor: string | null;
  /** Nights a whole comparison takes at the table's nightly share (1: whole every night). */
  bound_nights: number;
  /** Source and replica clocks (Unix seconds) when the table's last extract began. */
  last_source_epoch: number | null;
  last_replica_epoch: number | null;
}

export async function ensureVerifyState(replica: MysqlSession): Promise<void> {
  await oncePerSession(replica, 'verify-state', async () => {
    await replica.execute(
      `CREATE TABLE IF NOT EXISTS ${VERIFY_STATE_TABLE} (
         table_name VARCHAR(64) NOT NULL PRIMARY KEY,
         verified_through VARCHAR(19) NULL,
         verified_at VARCHAR(19) NULL,
         cycle_started VARCHAR(19) NULL,
         cycle_cursor VARCHAR(64) NULL,
         bound_nights INT NOT NULL DEFAULT 1,
         last_source_epoch BIGINT NULL,
         last_replica_epoch BIGINT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
  });
}

const numberOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function readVerifyState(
  replica: MysqlSession,
  table: string,
): Promise<VerifyState | null> {
  const [row] = await replica.query<VerifyState>(
    `SELECT * FROM ${VERIFY_STATE_TABLE} WHERE table_name = ?`,
    [table],
  );
  return row ? normalize(row) : null;
}

/** Every table's verification state (for `verify` and `status`); empty before the first run. */
export async function readAllVerifyStates(replica: MysqlSession): Promise<VerifyState[]> {
  const [exists] = await replica.queryArrays(
    'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [VERIFY_STATE_TABLE],
  );
  if (Number(exists?.[0]) === 0) return [];
  const rows = await replica.query<VerifyState>(`SELECT * FROM ${VERIFY_STATE_TABLE}`);
  return rows.map(normalize);
}

function normalize(row: VerifyState): VerifyState {
  return {
    ...row,
    bound_nights: Number(row.bound_nights),
    last_source_epoch: numberOrNull(row.last_source_epoch),
    last_replica_epoch: numberOrNull(row.last_replica_epoch),
  };
}

export async function writeVerifyState(replica: MysqlSession, state: VerifyState): Promise<void> {
  const columns = [
    'table_name',
    'verified_through',
    'verified_at',
    'cycle_started',
    'cycle_cursor',
    'bound_nights',
    'last_source_epoch',
    'last_replica_epoch',
  ] as const;
  await replica.execute(
    `INSERT INTO ${VERIFY_STATE_TABLE} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
     ON DUPLICATE KEY UPDATE ${columns
       .slice(1)
       .map((c) => `${c} = VALUES(${c})`)
       .join(', ')}`,
    columns.map((c) => state[c]),
  );
}
