import { createHash } from 'node:crypto';
import { quoteMysql } from '../db/identifiers';

/**
 * Turns the source's `SHOW CREATE TABLE` into the replica's: same columns, order, types,
 * defaults, charset and indexes, but InnoDB (so that rows and change log commit together) and
 * without the AUTO_INCREMENT counter of the moment. For bulk copies the secondary indexes are
 * split off and added after the rows (4× faster on wide tables such as procedurelog).
 */
export interface ReplicaDdl {
  /** CREATE TABLE with every index. */
  full: string;
  /** CREATE TABLE with the primary key only. */
  withoutSecondaryIndexes: string;
  /** `ALTER TABLE … ADD KEY …, ADD KEY …` restoring the secondary indexes, or null. */
  addSecondaryIndexes: string | null;
}

export function replicaDdl(showCreate: string, name: string): ReplicaDdl {
  const body = showCreate
    .replace(/^CREATE TABLE `(?:[^`]|``)+`/, `CREATE TABLE ${quoteMysql(name)}`)
    .replace(/ENGINE=\w+/, 'ENGINE=InnoDB')
    .replace(/ AUTO_INCREMENT=\d+/, '')
    .replace(/ ROW_FORMAT=\w+/, '');
  const lines = body.split('\n');
  const isSecondary = (line: string) => /^\s*(UNIQUE |FULLTEXT |SPATIAL )?(KEY|INDEX) /.test(line);
  const secondary = lines.filter(isSecondary).map((l) => l.trim().replace(/,$/, ''));
  const kept = lines.filter((l) => !isSecondary(l));
  // The line before ") ENGINE=" must not end with a comma once indexes are removed.
  const closing = kept.findIndex((l) => l.startsWith(')'));
  if (closing > 0) kept[closing - 1] = (kept[closing - 1] as string).replace(/,$/, '');
  return {
    full: body,
    withoutSecondaryIndexes: kept.join('\n'),
    addSecondaryIndexes:
      secondary.length > 0
        ? `ALTER TABLE ${quoteMysql(name)} ${secondary.map((s) => `ADD ${s}`).join(', ')}`
        : null,
  };
}

/** The column definitions of a `SHOW CREATE TABLE`, by column name (for `ADD COLUMN`). */
export function columnDefinitions(showCreate: string): Map<string, string> {
  const definitions = new Map<string, string>();
  for (const line of showCreate.split('\n')) {
    const match = /^\s*`((?:[^`]|``)+)` (.*?),?$/.exec(line);
    if (match?.[1] && match[2]) definitions.set(match[1].replaceAll('``', '`'), match[2]);
  }
  return definitions;
}

/** A work table name next to `table`, within MySQL's 64-character limit. */
export function workTableName(purpose: 'new' | 'old', table: string): string {
  const name = `_etl_${purpose}_${table}`;
  if (name.length <= 64) return name;
  return `_etl_${purpose}_${createHash('sha1').update(table).digest('hex').slice(0, 20)}`;
}
