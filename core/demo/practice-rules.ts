import { CDT_CODES } from './cdt-codes';
import { type GeneratorContext, NO_DATETIME } from './generator-context';
import { between } from './random';
import { ruleKit, type TableRules } from './rule-kit';

const PERMISSION_TYPES = ['27', '28', '29', '32', '43', '94', '115', '120', '133', '211'];
const COMPUTERS = ['FRONTDESK1', 'FRONTDESK2', 'OP1', 'OP2', 'OP3', 'HYG1', 'DRPRIVATE', 'BILLING'];

/**
 * The practice itself: providers, clinics, operatories, procedure codes, preferences, the time
 * clock and the audit log.
 */
export function practiceRules(ctx: GeneratorContext): Record<string, TableRules> {
  const { s, pools } = ruleKit(ctx);

  return {
    provider: {
      Abbr: (row) => `DR${row}`,
      LName: (_r, h) => ctx.pick(h, s('provider', 'L'), pools.lastNames),
      FName: (_r, h) => ctx.pick(h, s('provider', 'F'), pools.firstNames),
      IsHidden: (row) => (row % 7 === 0 ? '1' : '0'),
      ItemOrder: (row) => String(row - 1),
    },
    clinic: {
      Description: (row) =>
        ['Main Street Dental', 'Lakeside Family Dentistry', 'Northgate Dental Care'][row - 1] ??
        `Clinic ${row}`,
      Abbr: (row) => ['MAIN', 'LAKE', 'NGATE'][row - 1] ?? `C${row}`,
      City: (_r, h) => ctx.pick(h, s('clinic', 'c'), pools.cities),
    },
    operatory: {
      OpName: (row) => (row % 3 === 0 ? `Hygiene ${row}` : `Operatory ${row}`),
      Abbrev: (row) => (row % 3 === 0 ? `H${row}` : `OP${row}`),
      IsHygiene: (row) => (row % 3 === 0 ? '1' : '0'),
      ItemOrder: (row) => String(row - 1),
    },
    procedurecode: {
      ProcCode: (row) => CDT_CODES[row - 1]?.[0] ?? `D${String(row + 1000).padStart(4, '0')}`,
      Descript: (row, h) => CDT_CODES[row - 1]?.[1] ?? `${ctx.pick(h, 4, pools.words)} procedure`,
      AbbrDesc: (row) => (CDT_CODES[row - 1]?.[1] ?? `Proc ${row}`).slice(0, 12),
      ProcTime: () => '/XX/',
    },
    preference: {
      PrefName: (row) => (row === 1 ? 'DataBaseVersion' : `DemoPreference${row}`),
      ValueString: (row, h) => (row === 1 ? '24.3.10.0' : String(between(h, 1, 0, 1))),
    },
    clockevent: {
      // OpenDental stores signed adjustments, and totals past 24 h, in TIME columns.
      AdjustAuto: (_r, h) =>
        ctx.chance(h, s('clockevent', 'neg'), 0.2) ? '-00:15:00' : '00:00:00',
      Adjust: (_r, h) => (ctx.chance(h, s('clockevent', 'neg2'), 0.05) ? '-01:30:00' : '00:00:00'),
      OTimeHours: (_r, h) => (ctx.chance(h, s('clockevent', 'ot'), 0.01) ? '27:45:00' : '00:00:00'),
    },
    securitylog: {
      PermType: (_r, h) => ctx.pick(h, s('securitylog', 'perm'), PERMISSION_TYPES),
      LogDateTime: (row) => securityLogTime(ctx, row),
      CompName: (_r, h) => ctx.pick(h, s('securitylog', 'comp'), COMPUTERS),
      LogText: (_r, h) =>
        `Patient record ${ctx.pick(h, s('securitylog', 'v'), ['opened', 'edited', 'printed', 'viewed'])}`,
      DateTPrevious: () => NO_DATETIME,
    },
    securityloghash: {
      SecurityLogNum: (row) => String(Math.min(row, ctx.count('securitylog'))),
      LogHash: (_r, h) =>
        `${h.toString(16).padStart(8, '0')}${(h ^ 0xa5a5a5a5).toString(16).padStart(8, '0')}`,
    },
  };
}

/** Security log entries are in time order, like an append-only log. */
function securityLogTime(ctx: GeneratorContext, row: number): string {
  const n = Math.max(1, ctx.count('securitylog'));
  return ctx.secondsBeforeAsOf(Math.floor(((n - row) / n) * 5 * 365 * 86_400));
}
