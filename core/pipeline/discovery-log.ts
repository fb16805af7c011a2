import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaDiscovery } from '../discovery/discover-schema';
import type { TablePlan } from './table-plan';

/**
 * Writes `<dir>/schema_discovery_<timestamp>.log`: one line per table with its engine, size,
 * key, change column and plan. Names and counts only; no row values.
 */
export function writeDiscoveryLog(
  dir: string,
  discovery: SchemaDiscovery,
  plans: readonly TablePlan[],
  now = new Date(),
): string {
  mkdirSync(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const path = join(dir, `schema_discovery_${stamp}.log`);
  const planOf = new Map(plans.map((p) => [p.table, p]));
  const lines = [
    `# schema discovery of ${discovery.database} (${discovery.serverVersion}) at ${now.toISOString()}`,
    `# ${discovery.tables.length} tables; columns: table engine rows bytes columns primary_key change_column priority runner strategy`,
    ...discovery.tables.map((t) => {
      const plan = planOf.get(t.name);
      return [
        t.name,
        t.engine,
        t.estimatedRows,
        t.bytes,
        t.columns.length,
        t.primaryKey.join('+') || '-',
        t.changeColumn ?? '-',
        plan?.priority ?? 'excluded',
        plan?.runner ?? '-',
        plan ? `${plan.strategy} (${plan.strategyReason})` : '-',
      ].join('\t');
    }),
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
