import { describe, expect, it } from 'vitest';
import { PipelineConfigSchema } from '../../config/schema';
import { decideComparison } from '../../core/extract/nightly-comparison';
import {
  type Clocks,
  epochText,
  sourceClockStepBack,
  textEpoch,
  widenedSince,
} from '../../core/extract/source-clock';
import { writtenSince } from '../../core/extract/source-writes';
import { rollingShares, staleBoundNights } from '../../core/pipeline/verification-budget';

const NOW = '2026-12-01 02:00:00';
const facts = { sourceNow: NOW, clockSteppedBack: false, toleranceSeconds: 120 };
const myisam = (updateTime: string | null) => ({ engine: 'MyISAM', updateTime });

describe('UPDATE_TIME: where it is trusted', () => {
  it('skips a MyISAM or InnoDB table last written well before its verification', () => {
    expect(writtenSince(myisam('2026-11-30 10:00:00'), '2026-12-01 01:00:00', facts)).toEqual({
      written: 'no',
      reason: 'not written since 2026-12-01 01:00:00',
    });
    expect(
      writtenSince(
        { engine: 'InnoDB', updateTime: '2026-11-30 10:00:00' },
        '2026-12-01 01:00:00',
        facts,
      ).written,
    ).toBe('no');
  });

  it('counts a write within the tolerance of the verification (whole seconds) as after it', () => {
    expect(writtenSince(myisam('2026-12-01 01:00:00'), '2026-12-01 01:00:00', facts).written).toBe(
      'yes',
    );
    expect(writtenSince(myisam('2026-12-01 00:58:30'), '2026-12-01 01:00:00', facts).written).toBe(
      'yes',
    );
    expect(writtenSince(myisam('2026-12-01 00:57:59'), '2026-12-01 01:00:00', facts).written).toBe(
      'no',
    );
  });

  it('never reads "unchanged" into what it cannot know', () => {
    const since = '2026-12-01 01:00:00';
    expect(writtenSince(myisam('2026-11-01 00:00:00'), null, facts)).toMatchObject({
      written: 'unknown',
      reason: 'never verified',
    });
    expect(writtenSince({ engine: 'InnoDB', updateTime: null }, since, facts)).toMatchObject({
      written: 'unknown',
      reason: expect.stringMatching(/not kept across a restart/),
    });
    expect(
      writtenSince({ engine: 'MEMORY', updateTime: '2026-11-01 00:00:00' }, since, facts),
    ).toMatchObject({ written: 'unknown' });
    expect(
      writtenSince(myisam('2026-11-01 00:00:00'), since, { ...facts, clockSteppedBack: true }),
    ).toMatchObject({ written: 'unknown', reason: 'source clock stepped back since the last run' });
    expect(writtenSince(myisam('2026-12-02 00:00:00'), since, facts)).toMatchObject({
      written: 'unknown',
      reason: 'UPDATE_TIME ahead of the source clock',
    });
  });
});

describe('the source clock against the replica clock', () => {
  const clocks = (sourceNow: string, replicaEpoch: number): Clocks => ({
    sourceNow,
    sourceEpoch: textEpoch(sourceNow),
    replicaEpoch,
  });
  const before = { sourceEpoch: textEpoch('2026-12-01 04:00:00'), replicaEpoch: 1_000_000 };

  it('sees a step back beyond the tolerance, not drift within it', () => {
    // A day later by the replica; by the source a day minus two hours.
    expect(sourceClockStepBack(before, clocks('2026-12-02 02:00:00', 1_086_400), 120)).toBe(7200);
    expect(sourceClockStepBack(before, clocks('2026-12-02 03:59:00', 1_086_400), 120)).toBe(0);
    expect(sourceClockStepBack(null, clocks(NOW, 1), 120)).toBe(0);
  });

  it('widens the window to the earliest time a change since the last run can carry', () => {
    const now = clocks('2026-12-01 02:10:00', 1_000_600); // 10 minutes of real time later
    expect(widenedSince('2026-12-01 04:00:00', now, 1_000_000)).toBe('2026-12-01 02:00:00');
    expect(widenedSince('2026-12-01 01:00:00', now, 1_000_000)).toBe('2026-12-01 01:00:00');
    expect(epochText(textEpoch(NOW))).toBe(NOW);
  });
});

describe('what a night compares', () => {
  const written = { written: 'yes' as const, reason: 'written at x' };
  const unwritten = { written: 'no' as const, reason: 'not written since y' };

  it('nothing for an unwritten table, whole under the threshold, rolling over it', () => {
    expect(
      decideComparison({
        forced: null,
        futureStamp: false,
        sinceVerified: unwritten,
        compareRows: 0,
      }),
    ).toEqual({ kind: 'none', reason: 'not written since y' });
    expect(
      decideComparison({ forced: null, futureStamp: false, sinceVerified: written, compareRows: 0 })
        .kind,
    ).toBe('whole');
    expect(
      decideComparison({ forced: null, futureStamp: false, sinceVerified: written, compareRows: 9 })
        .kind,
    ).toBe('rolling');
  });

  it('the whole table when forced or when a change column is ahead of the clock', () => {
    expect(
      decideComparison({
        forced: 'requested (--reconcile)',
        futureStamp: false,
        sinceVerified: unwritten,
        compareRows: 9,
      }),
    ).toEqual({ kind: 'whole', reason: 'requested (--reconcile)' });
    expect(
      decideComparison({ forced: null, futureStamp: true, sinceVerified: written, compareRows: 9 }),
    ).toEqual({ kind: 'whole', reason: 'a change column is ahead of the source clock' });
  });
});

describe('the nightly budget', () => {
  const settings = PipelineConfigSchema.parse({}).stages.extract.verification;

  it('shares budget × rate by size, so every large table has the same bound, never below a floor', () => {
    const tables = [
      { table: 'small', estimatedRows: 1000, strategy: 'timestamp' as const },
      { table: 'big', estimatedRows: 5_000_000, strategy: 'append' as const },
      { table: 'bigger', estimatedRows: 9_000_000, strategy: 'reconcile' as const },
      { table: 'nokey', estimatedRows: 9_000_000, strategy: 'full' as const },
    ];
    const shares = rollingShares(
      tables,
      { ...settings, budget_seconds: 10, compare_rows_per_second: 100_000 },
      10_000,
    );
    // 14 M rows over the threshold, 1 M rows a night: 14 nights for each.
    expect([...shares]).toEqual([
      ['big', 357_143],
      ['bigger', 642_858],
    ]);
    expect(staleBoundNights(5_000_000, 357_143)).toBe(14);
    expect(staleBoundNights(9_000_000, 642_858)).toBe(14);
    expect(staleBoundNights(1000, 0)).toBe(1);
    const starved = rollingShares(tables, { ...settings, budget_seconds: 0 }, 10_000);
    expect(starved.get('big')).toBe(10_000);
  });
});
