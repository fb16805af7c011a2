import type { PipelineConfig } from '../../config/schema';
import type { PlanItem, PlannedGroup, PlannedTable } from '../../contract/stage';
import { CORE_TABLES } from '../opendental/core-tables';

/** What grouping needs to know of a planned table besides its item. */
export interface GroupCandidate {
  item: PlannedTable;
  estimatedRows: number;
}

type GroupLimits = Pick<
  PipelineConfig['runners'],
  'group_max_rows' | 'group_max_tables' | 'group_max_total_rows'
>;

/**
 * The Map items of a run: tiny Lambda tables (at most `group_max_rows` estimated rows, not a core
 * table) gathered into groups of at most `group_max_tables` tables and `group_max_total_rows`
 * rows, in plan order; every other table alone, as before. A group takes the place of its first
 * table, so the items keep the tables' priority order; a core table keeps its own item (and its
 * place). A group of one is just that table. Each table's item goes into its group unchanged.
 */
export function groupSmallTables(
  candidates: readonly GroupCandidate[],
  limits: GroupLimits,
): PlanItem[] {
  const items: (PlanItem | PlannedTable[])[] = [];
  let open: { tables: PlannedTable[]; rows: number } | null = null;
  for (const { item, estimatedRows } of candidates) {
    if (!groupable(item, estimatedRows, limits)) {
      items.push(item);
      continue;
    }
    const full =
      open !== null &&
      (open.tables.length >= limits.group_max_tables ||
        open.rows + estimatedRows > limits.group_max_total_rows);
    if (open === null || full) {
      open = { tables: [], rows: 0 };
      items.push(open.tables);
    }
    open.tables.push(item);
    open.rows += estimatedRows;
  }
  let groups = 0;
  return items.map((entry): PlanItem => {
    if (!Array.isArray(entry)) return entry;
    if (entry.length === 1) return entry[0] as PlannedTable;
    groups += 1;
    const group: PlannedGroup = {
      group: `group-${String(groups).padStart(2, '0')}`,
      runner: 'lambda',
      tables: entry,
    };
    return group;
  });
}

function groupable(item: PlannedTable, estimatedRows: number, limits: GroupLimits): boolean {
  return (
    limits.group_max_tables > 1 &&
    item.runner === 'lambda' &&
    estimatedRows <= limits.group_max_rows &&
    estimatedRows <= limits.group_max_total_rows &&
    !(CORE_TABLES as readonly string[]).includes(item.table)
  );
}
