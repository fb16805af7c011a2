import type { PipelineConfig } from '../../config/schema';

/** When RDS and Secrets Manager may disturb a provisioned database, all times UTC. */
export interface DatabaseWindows {
  /** RDS backup window, `hh24:mi-hh24:mi` (a single-AZ instance may pause I/O during it). */
  readonly backup: string;
  /** RDS maintenance window, `ddd:hh24:mi-ddd:hh24:mi`, weekly (patches may restart the server). */
  readonly maintenance: string;
  /** Secrets Manager rotation, monthly: a cron expression and the window's length. */
  readonly rotation: { readonly scheduleExpression: string; readonly duration: string };
}

const HOUR = 60;
const DAY = 24 * HOUR;
const WEEK_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * Windows for backups, maintenance and password rotation that stay clear of the nightly run:
 * they start an hour after the run's deadline (`aws.max_run_minutes`) and end before the next
 * run, in either offset of the schedule's time zone (standard and daylight time). A rotation in
 * the middle of a run would fail it: runners cache a secret for five minutes, and a connection
 * opened with the old password is refused (a terminal error). Undefined when the schedule is
 * disabled, its start is not one fixed minute of the day, or the run may last too long for the
 * windows to fit between two nights: RDS then picks its windows, and rotation runs every 30 days.
 */
export function databaseWindows(
  schedule: PipelineConfig['schedule'],
  maxRunMinutes: number,
): DatabaseWindows | undefined {
  if (!schedule.enabled) return undefined;
  const [minute, hour] = schedule.cron.trim().split(/\s+/).map(Number);
  if (!isWhole(minute, 59) || !isWhole(hour, 23)) return undefined;
  const offsets = [0, 6].map((month) => utcOffsetMinutes(schedule.timezone, month));
  // The run's start in UTC minutes of the day, in either offset (may run past midnight: mod later).
  const starts = offsets.map((offset) => hour * HOUR + minute - offset);
  const latestStart = Math.max(...starts);
  const earliestStart = Math.min(...starts);
  const backupStart = latestStart + Math.ceil(maxRunMinutes / HOUR) * HOUR + HOUR;
  const maintenanceStart = backupStart + 2 * HOUR;
  const rotationStart = maintenanceStart + 2 * HOUR;
  const rotationHours = 3;
  if (rotationStart + rotationHours * HOUR > earliestStart + DAY) return undefined;
  return {
    backup: `${clock(backupStart)}-${clock(backupStart + HOUR)}`,
    maintenance: `${weekClock(maintenanceStart)}-${weekClock(maintenanceStart + HOUR)}`,
    rotation: {
      scheduleExpression: `cron(${mod(rotationStart, HOUR)} ${Math.floor(mod(rotationStart, DAY) / HOUR)} 1 * ? *)`,
      duration: `${rotationHours}h`,
    },
  };
}

function isWhole(value: number | undefined, max: number): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Minutes east of UTC of `timeZone` in the middle of a month (0 January, 6 July) of 2025. */
function utcOffsetMinutes(timeZone: string, month: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(Date.UTC(2025, month, 15, 12))
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!match) return 0; // "GMT": UTC itself
  const minutes = Number(match[2]) * HOUR + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

function mod(value: number, by: number): number {
  return ((value % by) + by) % by;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function clock(minutes: number): string {
  const inDay = mod(minutes, DAY);
  return `${pad(Math.floor(inDay / HOUR))}:${pad(inDay % HOUR)}`;
}

/** A time of the week counted from Sunday 00:00 UTC (a window past midnight names Monday). */
function weekClock(minutes: number): string {
  return `${WEEK_DAYS[mod(Math.floor(minutes / DAY), 7)]}:${clock(minutes)}`;
}
