import { describe, expect, it } from 'vitest';
import { databaseWindows } from '../../infra/constructs/database-windows';

const DAY = 24 * 60;
const schedule = (cron: string, timezone: string, enabled = true) => ({ cron, timezone, enabled });

/** Minutes of the UTC day of `hh:mm`. */
const minutes = (clock: string) => {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** The run's UTC start in January and July (standard and daylight time), minutes of the day. */
function runStarts(hour: number, minute: number, zone: string): number[] {
  return [0, 6].map((month) => {
    const at = new Date(Date.UTC(2025, month, 15, 12));
    const local = new Date(at.toLocaleString('en-US', { timeZone: zone }));
    const utc = new Date(at.toLocaleString('en-US', { timeZone: 'UTC' }));
    const offset = Math.round((local.getTime() - utc.getTime()) / 60_000);
    return (((hour * 60 + minute - offset) % DAY) + DAY) % DAY;
  });
}

/** Whether [a, a+la) and [b, b+lb) meet on a 24-hour clock. */
function overlap(a: number, la: number, b: number, lb: number): boolean {
  const d = (((b - a) % DAY) + DAY) % DAY;
  return d < la || DAY - d < lb;
}

describe('databaseWindows', () => {
  it('puts backups, maintenance and rotation after the run’s deadline (1:00 AM New York, 4 hours)', () => {
    // 1:00 AM is 06:00 UTC in winter and 05:00 in summer; the later start, plus the 4-hour
    // deadline, plus an hour: backups from 11:00 UTC, then maintenance, then rotation.
    expect(databaseWindows(schedule('0 1 * * ? *', 'America/New_York'), 240)).toEqual({
      backup: '11:00-12:00',
      maintenance: 'sun:13:00-sun:14:00',
      rotation: { scheduleExpression: 'cron(0 15 1 * ? *)', duration: '3h' },
    });
  });

  it('never overlaps a run, in either offset, across zones, start hours and deadlines', () => {
    let checked = 0;
    for (const zone of [
      'America/New_York',
      'America/Los_Angeles',
      'Australia/Sydney',
      'Asia/Kolkata',
      'UTC',
    ]) {
      for (let hour = 0; hour < 24; hour += 1) {
        for (const deadline of [60, 240, 600]) {
          const windows = databaseWindows(schedule(`30 ${hour} * * ? *`, zone), deadline);
          if (!windows) continue;
          checked += 1;
          const [backupStart, backupEnd] = windows.backup.split('-').map(minutes);
          const maintenance = minutes(windows.maintenance.split('-')[0]?.slice(4) ?? '');
          const [, rotationMinute, rotationHour] =
            /cron\((\d+) (\d+) /.exec(windows.rotation.scheduleExpression) ?? [];
          const rotation = Number(rotationHour) * 60 + Number(rotationMinute);
          expect(((((backupEnd ?? 0) - (backupStart ?? 0)) % DAY) + DAY) % DAY).toBe(60);
          for (const start of runStarts(hour, 30, zone)) {
            const at = `${zone} ${hour}:30 deadline ${deadline}`;
            expect(overlap(start, deadline, backupStart ?? 0, 60), at).toBe(false);
            expect(overlap(start, deadline, maintenance, 60), at).toBe(false);
            expect(overlap(start, deadline, rotation, 180), at).toBe(false);
          }
        }
      }
    }
    // Every start fits with deadlines of 1 and 4 hours; 10 hours leaves 13 free: fits too.
    expect(checked).toBe(5 * 24 * 3);
  });

  it('names Monday for a maintenance window past midnight UTC, and handles half-hour offsets', () => {
    // 23:30 in Kolkata (UTC+5:30) is 18:00 UTC: backups 23:00, maintenance at 01:00 the next day.
    expect(databaseWindows(schedule('30 23 * * ? *', 'Asia/Kolkata'), 240)).toMatchObject({
      backup: '23:00-00:00',
      maintenance: 'mon:01:00-mon:02:00',
    });
  });

  it('leaves the windows to RDS when no quiet time is known', () => {
    expect(databaseWindows(schedule('0 1 * * ? *', 'UTC', false), 240)).toBeUndefined();
    expect(databaseWindows(schedule('0 */6 * * ? *', 'UTC'), 60)).toBeUndefined();
    expect(databaseWindows(schedule('0 1,13 * * ? *', 'UTC'), 60)).toBeUndefined();
    // A run may last so long that backups, maintenance and rotation no longer fit before the next.
    expect(databaseWindows(schedule('0 1 * * ? *', 'UTC'), 17 * 60)).toBeUndefined();
  });
});
