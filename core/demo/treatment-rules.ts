import { CDT_CODES } from './cdt-codes';
import type { GeneratorContext } from './generator-context';
import { between, unit } from './random';
import { ruleKit, type TableRules, weighted } from './rule-kit';

const SURFACES = ['', '', 'O', 'MO', 'DO', 'MOD', 'B', 'L', 'F', 'I'];
const TEETH = ['', '', '', ...Array.from({ length: 32 }, (_, i) => String(i + 1))];

/** Appointments and the procedures done in them (CDT codes, fees, teeth), with their notes. */
export function treatmentRules(ctx: GeneratorContext): Record<string, TableRules> {
  const { s, pools, owned, procOfPatient } = ruleKit(ctx);
  const aptStatus = weighted([
    ['2', 70],
    ['1', 12],
    ['5', 6],
    ['3', 5],
    ['6', 7],
  ]);
  const procStatus = weighted([
    ['2', 65],
    ['1', 20],
    ['3', 6],
    ['6', 4],
    ['7', 5],
  ]);

  return {
    appointment: {
      PatNum: owned('appointment'),
      AptStatus: (_r, h) => aptStatus(unit(h, s('appointment', 'status'))),
      AptDateTime: (_r, h) =>
        ctx.chance(h, s('appointment', 'future'), 0.1)
          ? `${ctx.futureDate(h, s('appointment', 'fd'))} ${ctx.officeTime(h, 11)}`
          : ctx.dateTime(h, s('appointment', 'dt'), 12),
      Pattern: (_r, h) => `/${'X'.repeat(between(h, s('appointment', 'p'), 2, 8))}/`,
      Note: (_r, h) =>
        ctx.chance(h, s('appointment', 'n'), 0.7)
          ? ''
          : ctx.pick(h, s('appointment', 'n2'), pools.sentences),
      NextAptNum: () => '0',
    },
    procedurelog: {
      PatNum: owned('procedurelog'),
      AptNum: (row, h) =>
        ctx.chance(h, s('procedurelog', 'noapt'), 0.3)
          ? '0'
          : String(
              ctx.rowOfPatient(
                'appointment',
                ctx.patientOf('procedurelog', row),
                h,
                s('procedurelog', 'apt'),
              ),
            ),
      ProcDate: (_r, h) => ctx.date(h, s('procedurelog', 'date'), 12),
      ProcFee: (_r, h) => {
        const code = ctx.ref('procedurecode', h, s('procedurelog', 'code'));
        const base = CDT_CODES[code - 1]?.[2] ?? 60 + (code % 40) * 10;
        return (base * (0.9 + unit(h, s('procedurelog', 'fee')) * 0.25)).toFixed(2);
      },
      CodeNum: (_r, h) => String(ctx.ref('procedurecode', h, s('procedurelog', 'code'))),
      ProcStatus: (_r, h) => procStatus(unit(h, s('procedurelog', 'status'))),
      Surf: (_r, h) => ctx.pick(h, s('procedurelog', 'surf'), SURFACES),
      ToothNum: (_r, h) => ctx.pick(h, s('procedurelog', 'tooth'), TEETH),
      ProcNumLab: () => '0',
      PlannedAptNum: () => '0',
      StatementNum: () => '0',
      RepeatChargeNum: () => '0',
      UnitQty: () => '1',
    },
    procnote: {
      PatNum: owned('procnote'),
      ProcNum: (row, h) =>
        String(procOfPatient(ctx.patientOf('procnote', row), h, s('procnote', 'p'))),
      Note: (_r, h) => ctx.pick(h, s('procnote', 'n'), pools.sentences),
    },
  };
}
