import { closest, distance } from 'fastest-levenshtein';
import type { PipelineConfig, TableOverride } from '../../config/schema';
import { ConfigError } from '../errors';
import type { DiscoveredTable, SchemaDiscovery } from './discover-schema';

export type Strategy = 'timestamp' | 'append' | 'reconcile' | 'full';
export type Runner = 'lambda' | 'fargate';

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
 * The clinical and financial core of a practice, most important first: these tables are
 * what dashboards read every morning, so they are copied before everything else.
 */
export const CORE_TABLES = [
  'patient',
  'appointment',
  'procedurelog',
  'claimproc',
  'claim',
  'payment',
  'paysplit',
  'adjustment',
  'claimpayment',
  'insplan',
  'inssub',
  'patplan',
  'carrier',
  'benefit',
  'provider',
  'clinic',
  'operatory',
  'procedurecode',
  'fee',
  'feesched',
  'definition',
  'userod',
  'recall',
  'recalltype',
  'patientnote',
  'procnote',
  'commlog',
  'schedule',
  'statement',
  'referral',
  'refattach',
  'appointmenttype',
  'employee',
  'clockevent',
  'document',
  'sheet',
  'sheetfield',
  'perioexam',
  'periomeasure',
  'toothinitial',
  'securitylog',
  'securityloghash',
] as const;

/** Append-only logs without a change column: new rows only ever get a higher primary key. */
export const APPEND_ONLY_TABLES = ['securitylog', 'securityloghash', 'entrylog', 'insbluebooklog'];

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

export function chooseStrategy(
  table: DiscoveredTable,
  override: TableOverride,
): { strategy: Strategy; reason: string } {
  if (table.primaryKey.length === 0) {
    return { strategy: 'full', reason: 'no primary key: copied whole every run' };
  }
  if (override.strategy) return { strategy: override.strategy, reason: 'set in tables.yml' };
  if (override.change_column)
    return { strategy: 'timestamp', reason: 'change column set in tables.yml' };
  if (table.changeColumn) {
    return { strategy: 'timestamp', reason: `change column ${table.changeColumn}` };
  }
  if (APPEND_ONLY_TABLES.includes(table.name)) {
    return { strategy: 'append', reason: 'append-only log table' };
  }
  return { strategy: 'reconcile', reason: 'no change column: checksum reconcile' };
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
