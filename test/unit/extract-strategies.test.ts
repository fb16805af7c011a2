import { describe, expect, it } from 'vitest';
import { StrategySchema } from '../../contract/stage';
import type { DiscoveredTable } from '../../core/discovery/discover-schema';
import {
  chooseStrategy,
  EXTRACT_STRATEGIES,
  runnableStrategy,
} from '../../core/extract/strategies';

function table(name: string, extra: Partial<DiscoveredTable> = {}): DiscoveredTable {
  return {
    name,
    engine: 'MyISAM',
    collation: null,
    estimatedRows: 10,
    bytes: 1000,
    columns: [],
    primaryKey: [`${name}Num`],
    indexes: [],
    changeColumn: null,
    ...extra,
  };
}

describe('the extract strategy registry', () => {
  it('registers exactly the strategies the contract names', () => {
    expect(Object.keys(EXTRACT_STRATEGIES).sort()).toEqual([...StrategySchema.options].sort());
  });

  it('runs the passes of timestamp and append tables before the night’s comparison, no other', () => {
    const passing = Object.entries(EXTRACT_STRATEGIES)
      .filter(([, s]) => s.nightlyPass)
      .map(([name]) => name);
    expect(passing.sort()).toEqual(['append', 'timestamp']);
  });

  it('chooses what a table requires, then tables.yml, then the first strategy that applies', () => {
    const keyless = table('log', { primaryKey: [] });
    expect(chooseStrategy(keyless, { strategy: 'timestamp' })).toEqual({
      strategy: 'full',
      reason: 'no primary key: copied whole every run',
    });
    const stamped = table('patient', { changeColumn: 'DateTStamp' });
    expect(chooseStrategy(stamped, { strategy: 'reconcile' })).toEqual({
      strategy: 'reconcile',
      reason: 'set in tables.yml',
    });
    expect(chooseStrategy(stamped, {})).toEqual({
      strategy: 'timestamp',
      reason: 'change column DateTStamp',
    });
    expect(chooseStrategy(table('claim'), { change_column: 'SecDateTEdit' }).strategy).toBe(
      'timestamp',
    );
    expect(chooseStrategy(table('securitylog'), {})).toEqual({
      strategy: 'append',
      reason: 'append-only log table',
    });
    expect(chooseStrategy(table('definition'), {})).toEqual({
      strategy: 'reconcile',
      reason: 'no change column: checksum reconcile',
    });
  });

  it('runs a strategy only where it can: else a reconcile, else a full copy', () => {
    expect(runnableStrategy(table('claim'), 'timestamp')).toBe('reconcile');
    expect(runnableStrategy(table('claim', { changeColumn: 'SecDateTEdit' }), 'timestamp')).toBe(
      'timestamp',
    );
    const composite = table('pair', { primaryKey: ['A', 'B'], changeColumn: 'DateTStamp' });
    for (const wanted of StrategySchema.options)
      expect(runnableStrategy(composite, wanted)).toBe('full');
    expect(runnableStrategy(table('securitylog'), 'append')).toBe('append');
  });
});
