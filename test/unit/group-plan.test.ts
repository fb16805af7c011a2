import { describe, expect, it } from 'vitest';
import { printPlan } from '../../cli/local-run';
import { GROUP_DEFAULTS, PipelineConfigSchema } from '../../config/schema';
import { isGroup, type PlannedTable, RunPlanSchema, tablesOfItems } from '../../contract/stage';
import { type GroupCandidate, groupSmallTables } from '../../core/pipeline/group-tables';

const runners = PipelineConfigSchema.parse({}).runners;

function candidate(
  table: string,
  estimatedRows: number,
  runner: PlannedTable['runner'] = 'lambda',
): GroupCandidate {
  return {
    estimatedRows,
    item: {
      table,
      runner,
      strategy: 'timestamp',
      mode: 'incremental',
      reconcile: false,
      compareRows: 7,
      priority: 1,
      strategyReason: 'test',
      estimatedRows,
    },
  };
}

const names = (items: ReturnType<typeof groupSmallTables>) =>
  items.map((i) =>
    isGroup(i) ? `${i.group}[${i.tables.map((t) => t.table).join(',')}]` : i.table,
  );

describe('groups of tiny tables in the plan', () => {
  it('defaults to 5,000 rows a table, 50 tables and 50,000 rows a group', () => {
    expect(runners).toMatchObject(GROUP_DEFAULTS);
    expect(GROUP_DEFAULTS).toEqual({
      group_max_rows: 5_000,
      group_max_tables: 50,
      group_max_total_rows: 50_000,
    });
  });

  it('groups Lambda tables up to group_max_rows, never a core table, a larger or a Fargate one', () => {
    const items = groupSmallTables(
      [
        candidate('patient', 10),
        candidate('bigone', 5_001),
        candidate('tiny_a', 5_000),
        candidate('fargated', 3, 'fargate'),
        candidate('tiny_b', 0),
        candidate('clinic', 2),
        candidate('tiny_c', 12),
      ],
      runners,
    );
    expect(names(items)).toEqual([
      'patient',
      'bigone',
      'group-01[tiny_a,tiny_b,tiny_c]',
      'fargated',
      'clinic',
    ]);
  });

  it('closes a group at group_max_tables or group_max_total_rows, keeping the order', () => {
    const tables = ['a', 'b', 'c', 'd', 'e'].map((t) => candidate(t, 400));
    const byCount = groupSmallTables(tables, { ...runners, group_max_tables: 2 });
    expect(names(byCount)).toEqual(['group-01[a,b]', 'group-02[c,d]', 'e']);
    const byRows = groupSmallTables(tables, { ...runners, group_max_total_rows: 1_200 });
    expect(names(byRows)).toEqual(['group-01[a,b,c]', 'group-02[d,e]']);
    // A table alone over the group's row cap is no group's.
    const over = groupSmallTables(
      [candidate('a', 10), candidate('huge', 900), candidate('b', 10)],
      { ...runners, group_max_total_rows: 500 },
    );
    expect(names(over)).toEqual(['group-01[a,b]', 'huge']);
  });

  it('takes the place of its first table, so items keep the priority order', () => {
    const items = groupSmallTables(
      [candidate('x1', 1), candidate('large', 9_000), candidate('x2', 1)],
      runners,
    );
    expect(names(items)).toEqual(['group-01[x1,x2]', 'large']);
  });

  it('turns off with group_max_tables 1, and a group of one is that table alone', () => {
    const tables = [candidate('a', 1), candidate('b', 1)];
    expect(names(groupSmallTables(tables, { ...runners, group_max_tables: 1 }))).toEqual([
      'a',
      'b',
    ]);
    expect(groupSmallTables([candidate('a', 1)], runners)).toEqual([candidate('a', 1).item]);
  });

  it('carries every field of each planned table unchanged, and the plan validates', () => {
    const tables = [candidate('a', 1), candidate('b', 2)];
    const items = groupSmallTables(tables, runners);
    expect(tablesOfItems(items)).toEqual(tables.map((t) => t.item));
    expect(tablesOfItems(items).map((t) => t.compareRows)).toEqual([7, 7]);
    const plan = RunPlanSchema.parse({ runId: 'r', parallel: 2, dryRun: true, tables: items });
    expect(plan.tables).toEqual(items);
  });

  it('shows the groups and their tables in a dry run', () => {
    const items = groupSmallTables(
      [candidate('patient', 10), candidate('a', 100), candidate('b', 200)],
      runners,
    );
    const lines: string[] = [];
    printPlan({ runId: 'r', parallel: 2, dryRun: true, tables: items }, (l) => lines.push(l));
    expect(lines[0]).toMatch(/3 tables in 2 Map items \(1 groups of tiny tables\)/);
    expect(lines).toContainEqual(
      'group-01: 2 tiny tables, 300 est. rows, one Lambda task per stage',
    );
    expect(lines.filter((l) => /^ {2}1 +(a|b) /.test(l))).toHaveLength(2);
  });
});
