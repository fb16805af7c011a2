import { oncePerSession } from './once-per-session';
import type { PgSession } from './ports';
import { withDdlLock } from './transactions';

/**
 * Runs idempotent set-up statements (`CREATE … IF NOT EXISTS`) once per session, in one
 * transaction under the DDL lock, so stages creating the same schema or table at once cannot race.
 * `key` names the set-up: a session that ran it before skips it.
 */
export function setUpOnce(
  pg: PgSession,
  key: string,
  statements: readonly string[],
): Promise<void> {
  return oncePerSession(pg, key, () =>
    withDdlLock(pg, async () => {
      for (const statement of statements) await pg.query(statement);
    }),
  );
}
