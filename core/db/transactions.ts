import type { MysqlSession, PgSession } from './ports';

/** Runs `work` in one MySQL transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(session: MysqlSession, work: () => Promise<T>): Promise<T> {
  await session.execute('START TRANSACTION');
  try {
    const result = await work();
    await session.execute('COMMIT');
    return result;
  } catch (error) {
    await session.execute('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Runs `work` in one PostgreSQL transaction: committed when it returns, rolled back when it throws. */
export async function pgTransaction<T>(pg: PgSession, work: () => Promise<T>): Promise<T> {
  await pg.query('BEGIN');
  try {
    const result = await work();
    await pg.query('COMMIT');
    return result;
  } catch (error) {
    await pg.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * Runs schema set-up under a transaction-scoped advisory lock: two stages creating the same
 * schema or table at once would otherwise race (CREATE … IF NOT EXISTS is not concurrency-safe
 * in PostgreSQL).
 */
export async function withDdlLock<T>(pg: PgSession, work: () => Promise<T>): Promise<T> {
  return pgTransaction(pg, async () => {
    await pg.query("SELECT pg_advisory_xact_lock(hashtext('etl-pipeline ddl'))");
    return work();
  });
}
