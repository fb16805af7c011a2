import { quoteMysql } from '../db/identifiers';
import type {
  DiscoveredColumn,
  DiscoveredIndex,
  DiscoveredTable,
} from '../discovery/discover-schema';
import { columnDefinitions } from './replica-ddl';

/**
 * What to do about the replica's definition of a table before copying, from a comparison with
 * the source (engine aside, which differs by design):
 *
 * - `create`: no replica table yet (first extract: full copy);
 * - `none`: identical;
 * - `alter`: columns were added (an OpenDental upgrade) and/or indexes changed: applied in place
 *   with `ALTER TABLE`, then the table is checksum-reconciled so existing rows get the new
 *   columns' values;
 * - `rebuild`: anything else (a type changed, a column was dropped or moved, the key changed):
 *   the table is copied anew into a shadow and swapped in.
 */
export type SchemaPlan =
  | { action: 'create'; reason: string }
  | { action: 'none' }
  | { action: 'alter'; statements: string[]; addedColumns: string[]; reason: string }
  | { action: 'rebuild'; reason: string };

const columnSignature = (c: DiscoveredColumn) =>
  JSON.stringify([c.name, c.columnType, c.nullable, c.default, c.extra, c.charset, c.collation]);
const indexSignature = (i: DiscoveredIndex) => JSON.stringify([i.unique, i.columns]);

export function planSchemaSync(
  source: DiscoveredTable,
  replica: DiscoveredTable | undefined,
  sourceShowCreate: string,
): SchemaPlan {
  if (!replica) return { action: 'create', reason: 'first extract of this table' };
  if (JSON.stringify(source.primaryKey) !== JSON.stringify(replica.primaryKey)) {
    return { action: 'rebuild', reason: 'primary key changed' };
  }
  const replicaColumns = new Map(replica.columns.map((c) => [c.name, c]));
  for (const c of replica.columns) {
    const now = source.columns.find((s) => s.name === c.name);
    if (!now) return { action: 'rebuild', reason: `column ${c.name} was dropped` };
    if (columnSignature(now) !== columnSignature(c)) {
      return {
        action: 'rebuild',
        reason: `column ${c.name} changed (${c.columnType} → ${now.columnType})`,
      };
    }
  }
  const kept = source.columns.filter((c) => replicaColumns.has(c.name)).map((c) => c.name);
  if (JSON.stringify(kept) !== JSON.stringify(replica.columns.map((c) => c.name))) {
    return { action: 'rebuild', reason: 'column order changed' };
  }

  const statements: string[] = [];
  const added: string[] = [];
  const definitions = columnDefinitions(sourceShowCreate);
  const alter = (clause: string) =>
    statements.push(`ALTER TABLE ${quoteMysql(source.name)} ${clause}`);
  source.columns.forEach((c, i) => {
    if (replicaColumns.has(c.name)) return;
    const definition = definitions.get(c.name);
    if (!definition) return;
    const previous = source.columns[i - 1];
    alter(
      `ADD COLUMN ${quoteMysql(c.name)} ${definition} ${previous ? `AFTER ${quoteMysql(previous.name)}` : 'FIRST'}`,
    );
    added.push(c.name);
  });
  if (added.length < source.columns.length - replica.columns.length) {
    return { action: 'rebuild', reason: 'a new column could not be read from SHOW CREATE TABLE' };
  }

  const replicaIndexes = new Map(replica.indexes.map((i) => [i.name, i]));
  const sourceIndexes = new Map(source.indexes.map((i) => [i.name, i]));
  for (const [name, index] of replicaIndexes) {
    const now = sourceIndexes.get(name);
    if (!now || indexSignature(now) !== indexSignature(index))
      alter(`DROP INDEX ${quoteMysql(name)}`);
  }
  for (const [name, index] of sourceIndexes) {
    const before = replicaIndexes.get(name);
    if (before && indexSignature(before) === indexSignature(index)) continue;
    const columns = index.columns
      .map((c) => `${quoteMysql(c.name)}${c.subPart === null ? '' : `(${c.subPart})`}`)
      .join(', ');
    alter(`ADD ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteMysql(name)} (${columns})`);
  }
  if (statements.length === 0) return { action: 'none' };
  const reasons = [
    ...(added.length > 0 ? [`columns added: ${added.join(', ')}`] : []),
    ...(statements.length > added.length ? ['indexes changed'] : []),
  ];
  return { action: 'alter', statements, addedColumns: added, reason: reasons.join('; ') };
}
