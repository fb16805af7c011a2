import type { PipelineConfig } from '../../config/schema';

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const ANY = new Set(['*', '?']);

/**
 * The longest time between two scheduled runs, in hours, read from the schedule's cron
 * (`minutes hours day-of-month month day-of-week year`): 24 for a schedule that runs every day
 * (the default), the longest gap between the listed week days for one that runs on some days of
 * the week (`MON-FRI` → 72). Undefined when the schedule is disabled, or names days of the month,
 * months or years, or uses `L`, `W` or `#`: no fixed bound is read from those, and the missed-run
 * alarm (which can look back at most seven days) is left out.
 */
export function hoursBetweenRuns(schedule: PipelineConfig['schedule']): number | undefined {
  if (!schedule.enabled) return undefined;
  const [, , dayOfMonth, month, dayOfWeek, year] = schedule.cron.trim().split(/\s+/);
  if (!ANY.has(month ?? '') || !ANY.has(year ?? '') || !ANY.has(dayOfMonth ?? '')) {
    return undefined;
  }
  if (ANY.has(dayOfWeek ?? '')) return 24;
  const days = weekDays(dayOfWeek ?? '');
  if (!days || days.length === 0) return undefined;
  const gaps = days.map((d, i) => ((days[i + 1] ?? (days[0] ?? 0) + 7) - d) * 24);
  return Math.max(...gaps);
}

/** Day numbers 0 (Sunday) … 6 of a day-of-week field such as `MON-FRI` or `2,4,6`, sorted. */
function weekDays(field: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [from, to] = part.split('-').map(dayNumber);
    if (from === undefined || (part.includes('-') && to === undefined)) return undefined;
    for (let d = from; d <= (to ?? from); d++) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
}

/** `SUN`…`SAT`, or EventBridge's 1 (Sunday) … 7, as 0 … 6. */
function dayNumber(text: string | undefined): number | undefined {
  const upper = (text ?? '').toUpperCase();
  if (DAYS.includes(upper)) return DAYS.indexOf(upper);
  return /^[1-7]$/.test(upper) ? Number(upper) - 1 : undefined;
}
