import { oncePerSession } from '../db/once-per-session';
import type { MysqlSession } from '../db/ports';
import type { ChangeEntry, ChangeLogReader, ChangeOp } from './change-log';

/**
 * `_etl_changelog` in the replica: one entry per primary key the extract inserted or updated
 * (`U`) or deleted (`D`), or a full-refresh marker (`F`, no key), written in the transaction that
 * wrote the rows (InnoDB, so atomic even when the source is MyISAM). `seq` grows monotonically;
 * the load applies a table's entries past its own cursor.
 */
export const REPLICA_CHANGELOG = '_etl_changelog';

export async function ensureReplicaChangeLog(replica: MysqlSession): Promise<void> {
  await oncePerSession(replica, 'replica-changelog', async () => {
    await replica.execute(
      `CREATE TABLE IF NOT EXISTS ${REPLICA_CHANGELOG} (
         seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         table_name VARCHAR(64) NOT NULL,
         op CHAR(1) NOT NULL,
         pk VARCHAR(1024) NULL,
         run_id VARCHAR(64) NOT NULL,
         logged_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
         KEY table_seq (table_name, seq)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
  });
}

/** Appends entries; call inside the transaction that wrote the rows. */
export async function logReplicaChanges(
  replica: MysqlSession,
  entries: {
    table: string;
    runId: string;
    op: ChangeOp;
    /** The keys written; `[null]` for a full-refresh marker. */
    keys: readonly (string | null)[];
  },
): Promise<void> {
  const { table, runId, op, keys } = entries;
  for (let i = 0; i < keys.length; i += 2000) {
    const rows = keys.slice(i, i + 2000).map((pk) => [table, op, pk, runId]);
    await replica.execute(
      `INSERT INTO ${REPLICA_CHANGELOG} (table_name, op, pk, run_id) VALUES ?`,
      [rows],
    );
  }
}

/** The load's reader of the replica change log. */
export function replicaChangeLog(replica: MysqlSession): ChangeLogReader {
  return {
    async head(table) {
      const [row] = await replica.queryArrays(
        `SELECT COALESCE(MAX(seq), 0) FROM ${REPLICA_CHANGELOG} WHERE table_name = ?`,
        [table],
      );
      return String(row?.[0] ?? '0');
    },
    async hasFullRefresh(table, after, upTo) {
      const [row] = await replica.queryArrays(
        `SELECT COUNT(*) FROM ${REPLICA_CHANGELOG} WHERE table_name = ? AND op = 'F' AND seq > ? AND seq <= ?`,
        [table, after, upTo],
      );
      return Number(row?.[0]) > 0;
    },
    async entries(table, after, upTo, limit) {
      const rows = await replica.queryArrays(
        `SELECT seq, op, pk FROM ${REPLICA_CHANGELOG} WHERE table_name = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${Number(limit)}`,
        [table, after, upTo],
      );
      return rows.map(
        ([seq, op, pk]): ChangeEntry => ({
          seq: String(seq),
          op: String(op) as ChangeOp,
          pk: pk === null ? null : String(pk),
        }),
      );
    },
    async prune(table, upTo) {
      for (;;) {
        const { affectedRows } = await replica.execute(
          `DELETE FROM ${REPLICA_CHANGELOG} WHERE table_name = ? AND seq <= ? LIMIT 10000`,
          [table, upTo],
        );
        if (affectedRows < 10_000) return;
      }
    },
  };
}
