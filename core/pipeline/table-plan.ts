import { closest, distance } from 'fastest-levenshtein';
import type { PipelineConfig, TableOverride } from '../../config/schema';
import { ConfigError } from '../../contract/errors';
import type { Runner, Strategy } from '../../contract/stage';
import type { DiscoveredTable, SchemaDiscovery } from '../discovery/discover-schema';
import { chooseStrategy } from '../extract/strategies';
import { CORE_TABLES } from '../opendental/core-tables';

export interface TablePlan {
  table: string;
  /** Lower runs first. */
  priority: number;
  runner: Runner;
  strategy: Strategy;
  /** Why this strategy: shown by `run --dry-run` and in the docs. */
  strategyReason: string;
  changeColumn: string | null;
  primaryKey: string[];
  estimatedRows: number;
  bytes: number;
  batchSize: number;
}

/**
 * Orders the discovered tables and decides runner and default strategy for each, applying the
 * per-table overrides of `tables.yml`. Core tables come first in {@link CORE_TABLES} order; the
 * rest follow largest first, so that the longest tables start early in a bounded-concurrency Map.
 */
export function planTables(
  discovery: SchemaDiscovery,
  config: PipelineConfig,
  overrides: Record<string, TableOverride>,
): TablePlan[] {
  const byName = new Map(discovery.tables.map((t) => [t.name, t]));
  assertOverridesNameTables(Object.keys(overrides), [...byName.keys()]);

  const rest = discovery.tables
    .filter((t) => !(CORE_TABLES as readonly string[]).includes(t.name))
    .sort(
      (a, b) =>
        b.bytes - a.bytes || b.estimatedRows - a.estimatedRows || a.name.localeCompare(b.name),
    );
  const ordered = [
    ...CORE_TABLES.map((name) => byName.get(name)).filter(
      (t): t is DiscoveredTable => t !== undefined,
    ),
    ...rest,
  ];

  const plans: TablePlan[] = [];
  ordered.forEach((table, index) => {
    const override = overrides[table.name] ?? {};
    if (override.exclude) return;
    const { strategy, reason } = chooseStrategy(table, override);
    plans.push({
      table: table.name,
      priority: override.priority ?? index + 1,
      runner: override.runner ?? chooseRunner(table, config.runners),
      strategy,
      strategyReason: reason,
      changeColumn: override.change_column ?? table.changeColumn,
      primaryKey: table.primaryKey,
      estimatedRows: table.estimatedRows,
      bytes: table.bytes,
      batchSize: override.batch_size ?? config.general.batch_size,
    });
  });
  return plans.sort((a, b) => a.priority - b.priority || a.table.localeCompare(b.table));
}

export function chooseRunner(
  table: Pick<DiscoveredTable, 'estimatedRows' | 'bytes'>,
  thresholds: PipelineConfig['runners'],
): Runner {
  return table.estimatedRows >= thresholds.fargate_min_rows ||
    table.bytes >= thresholds.fargate_min_bytes
    ? 'fargate'
    : 'lambda';
}

function assertOverridesNameTables(names: string[], known: string[]): void {
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length === 0) return;
  const lines = unknown.map((name) => `tables.yml: unknown table "${name}"${suggest(name, known)}`);
  throw new ConfigError(lines.join('\n'), { stage: 'config' });
}

/** ` (did you mean "x"?)` when a known name is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const best = closest(name.toLowerCase(), [...known]);
  return distance(name.toLowerCase(), best) <= Math.max(2, Math.floor(best.length / 3))
    ? ` (did you mean "${best}"?)`
    : '';
}
