import { describe, expect, it } from 'vitest';
import { hoursBetweenRuns } from '../../infra/constructs/hours-between-runs';

const schedule = (cron: string, enabled = true) => ({
  cron,
  timezone: 'America/New_York',
  enabled,
});

describe('the longest time between scheduled runs, read from the cron', () => {
  it('is a day for a schedule that runs every day, however often', () => {
    expect(hoursBetweenRuns(schedule('0 1 * * ? *'))).toBe(24);
    expect(hoursBetweenRuns(schedule('30 */6 ? * * *'))).toBe(24);
  });

  it('is the longest gap between the week days it runs on', () => {
    expect(hoursBetweenRuns(schedule('0 1 ? * MON-FRI *'))).toBe(72);
    expect(hoursBetweenRuns(schedule('0 1 ? * 2,4,6 *'))).toBe(72);
    expect(hoursBetweenRuns(schedule('0 1 ? * SUN,WED *'))).toBe(96);
    expect(hoursBetweenRuns(schedule('0 1 ? * sat *'))).toBe(168);
  });

  it('is unknown for a disabled schedule, or one by day of month, month, year, L, W or #', () => {
    for (const cron of [
      '0 1 1 * ? *',
      '0 1 ? 6 * *',
      '0 1 ? * * 2030',
      '0 1 L * ? *',
      '0 1 ? * 6#3 *',
      '0 1 ? * 6L *',
    ]) {
      expect(hoursBetweenRuns(schedule(cron)), cron).toBeUndefined();
    }
    expect(hoursBetweenRuns(schedule('0 1 * * ? *', false))).toBeUndefined();
  });
});
