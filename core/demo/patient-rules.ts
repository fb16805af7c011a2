import { type GeneratorContext, NO_DATE, NO_DATETIME } from './generator-context';
import { between, unit } from './random';
import { ruleKit, type TableRules, weighted } from './rule-kit';

/** Patients (names, families, statuses, the odd legacy date), their notes and records. */
export function patientRules(ctx: GeneratorContext): Record<string, TableRules> {
  const { s, pools, owned } = ruleKit(ctx);
  const patStatus = weighted([
    ['0', 82],
    ['2', 8],
    ['3', 5],
    ['5', 1],
    ['1', 4],
  ]);
  const familyHead = (row: number) => {
    // A patient starts a new family with probability 0.4; the family's guarantor is its first member.
    let head = row;
    while (head > 1 && unit(ctx.rowHashOf('patient', head), s('patient', 'family')) >= 0.4) head--;
    return head;
  };

  return {
    patient: {
      LName: (_r, h) => ctx.pick(h, s('patient', 'L'), pools.lastNames),
      FName: (_r, h) => ctx.pick(h, s('patient', 'F'), pools.firstNames),
      MiddleI: (_r, h) =>
        ctx.chance(h, s('patient', 'MI'), 0.5)
          ? ''
          : String.fromCharCode(65 + between(h, 3, 0, 25)),
      Preferred: (_r, h) =>
        ctx.chance(h, s('patient', 'P'), 0.85)
          ? ''
          : ctx.pick(h, s('patient', 'P2'), pools.firstNames),
      PatStatus: (_r, h) => patStatus(unit(h, s('patient', 'status'))),
      Gender: (_r, h) =>
        ctx.chance(h, s('patient', 'g'), 0.52)
          ? '1'
          : ctx.chance(h, s('patient', 'g2'), 0.97)
            ? '0'
            : '2',
      Birthdate: (_r, h) =>
        ctx.chance(h, s('patient', 'nob'), 0.02) ? NO_DATE : ctx.date(h, s('patient', 'b'), 85),
      SSN: (_r, h) =>
        ctx.chance(h, s('patient', 'ssn0'), 0.3)
          ? ''
          : String(between(h, s('patient', 'ssn'), 100_000_000, 899_999_999)),
      Address: (_r, h) => ctx.pick(h, s('patient', 'a'), pools.streets),
      City: (_r, h) => ctx.pick(h, s('patient', 'c'), pools.cities),
      State: (_r, h) => ctx.pick(h, s('patient', 'st'), pools.states),
      Zip: (_r, h) => ctx.pick(h, s('patient', 'z'), pools.zips),
      HmPhone: (_r, h) => ctx.pick(h, s('patient', 'hp'), pools.phones),
      WirelessPhone: (_r, h) => ctx.pick(h, s('patient', 'wp'), pools.phones),
      Email: (row, h) =>
        ctx.chance(h, s('patient', 'e0'), 0.25)
          ? ''
          : `${ctx
              .pick(h, s('patient', 'F'), pools.firstNames)
              .toLowerCase()
              .replace(
                /[^a-z]/g,
                '',
              )}.${row}@${ctx.pick(h, s('patient', 'ed'), pools.emailDomains)}`,
      Guarantor: (row) => String(familyHead(row)),
      Position: (row, h) => (familyHead(row) === row ? (ctx.chance(h, 9, 0.6) ? '1' : '0') : '2'),
      EstBalance: (_r, h) =>
        ctx.chance(h, s('patient', 'bal'), 0.7)
          ? '0'
          : ctx.money(h, s('patient', 'bal2'), -50, 900),
      DateFirstVisit: (_r, h) => {
        const u = unit(h, s('patient', 'dfv'));
        // Old conversions left zero and partial dates behind; OpenDental itself writes 0001-01-01.
        if (u < 0.003) return '0000-00-00';
        if (u < 0.005) return '2009-00-00';
        return u < 0.1 ? NO_DATE : ctx.date(h, s('patient', 'dfv2'), 20);
      },
      SchedBeforeTime: () => '00:00:00',
      SchedAfterTime: () => '00:00:00',
      DateTimeDeceased: () => NO_DATETIME,
      SuperFamily: () => '0',
      ResponsParty: () => '0',
      PatNumCloneFrom: () => '0',
    },
    patientnote: {
      PatNum: (row) => String(row),
      Medical: (_r, h) =>
        ctx.chance(h, 1, 0.7) ? '' : ctx.pick(h, s('patientnote', 'm'), pools.sentences),
    },
    commlog: {
      PatNum: owned('commlog'),
      CommDateTime: (_r, h) => ctx.dateTime(h, s('commlog', 'dt'), 10),
      Note: (_r, h) => ctx.pick(h, s('commlog', 'note'), pools.sentences),
    },
    recall: {
      PatNum: owned('recall'),
      DateDue: (_r, h) => ctx.futureDate(h, s('recall', 'due'), 365),
      RecallInterval: () => '393216', // OpenDental's packed interval: 6 months
    },
    statement: { PatNum: owned('statement') },
    document: { PatNum: owned('document') },
    sheet: { PatNum: owned('sheet') },
    perioexam: { PatNum: owned('perioexam') },
    toothinitial: { PatNum: owned('toothinitial') },
    refattach: { PatNum: owned('refattach') },
  };
}
