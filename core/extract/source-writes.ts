import type { MysqlSession } from '../db/ports';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { textEpoch } from './source-clock';

/**
 * Whether the source has written a table since a moment, as far as
 * `information_schema.TABLES.UPDATE_TIME` can tell:
 * - MyISAM and Aria (OpenDental's engine): the data file's modification time, so every insert,
 *   update and delete moves it, and it survives a restart. A statement that changes no row does
 *   not move it, which is right: nothing changed.
 * - InnoDB: kept in memory at commit, so NULL after a restart (and, on MySQL 8, after the table
 *   left the dictionary cache): NULL is "unknown", never "unchanged". MySQL 8 also caches it for
 *   `information_schema_stats_expiry`; the source session sets that to 0.
 * - Shown to the second, in the session's time zone (UTC, as `NOW()`): a write in the same second
 *   as the verification counts as after it, and a margin of the clock tolerance is kept besides.
 * - A source clock stepped back makes modification times earlier than the verification they
 *   follow: then nothing is trusted. A time ahead of the source's own clock is not trusted either.
 */
export type Written = { written: 'yes' | 'no' | 'unknown'; reason: string };

const FILE_ENGINES = new Set(['myisam', 'aria']);
const TRUSTED_ENGINES = new Set([...FILE_ENGINES, 'innodb']);

export function writtenSince(
  table: Pick<DiscoveredTable, 'engine' | 'updateTime'>,
  since: string | null,
  context: { sourceNow: string; clockSteppedBack: boolean; toleranceSeconds: number },
): Written {
  const engine = table.engine.toLowerCase();
  if (since === null) return { written: 'unknown', reason: 'never verified' };
  if (context.clockSteppedBack)
    return { written: 'unknown', reason: 'source clock stepped back since the last run' };
  if (!TRUSTED_ENGINES.has(engine))
    return { written: 'unknown', reason: `UPDATE_TIME not trusted for engine ${table.engine}` };
  if (!table.updateTime) {
    return {
      written: 'unknown',
      reason: FILE_ENGINES.has(engine)
        ? 'UPDATE_TIME unknown'
        : `UPDATE_TIME unknown (${table.engine}: not kept across a restart)`,
    };
  }
  const updated = textEpoch(table.updateTime);
  if (updated > textEpoch(context.sourceNow) + context.toleranceSeconds)
    return { written: 'unknown', reason: 'UPDATE_TIME ahead of the source clock' };
  if (updated >= textEpoch(since) - context.toleranceSeconds)
    return { written: 'yes', reason: `written at ${table.updateTime}` };
  return { written: 'no', reason: `not written since ${since}` };
}

/** The table's `UPDATE_TIME` and the server's `NOW()`, both to the second in the session's zone. */
export async function readUpdateTime(
  session: MysqlSession,
  table: string,
): Promise<{ updateTime: string | null; now: string }> {
  const [row] = await session.queryArrays(
    `SELECT DATE_FORMAT(UPDATE_TIME, '%Y-%m-%d %H:%i:%s'), DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s')
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  return { updateTime: row?.[0] == null ? null : String(row[0]), now: String(row?.[1]) };
}
