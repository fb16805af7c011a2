import { type Stage, UnknownTableError } from '../../contract/errors';
import { IDENTIFIER } from '../../contract/stage';

/** Quotes a MySQL identifier (table or column name) with backticks. */
export function quoteMysql(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Quotes a PostgreSQL identifier with double quotes. */
export function quotePg(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Refuses a table name that is not a plain identifier before any SQL is built with it (names
 * are quoted anyway; this keeps injection-shaped input out of every statement and log).
 */
export function assertTableName(table: string, stage: Stage): void {
  if (!IDENTIFIER.test(table)) {
    throw new UnknownTableError('not a valid table name', { table: table.slice(0, 64), stage });
  }
}
