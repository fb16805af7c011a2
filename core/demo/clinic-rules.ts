import { type GeneratorContext, NO_DATE, NO_DATETIME, type ValueGen } from './generator-context';
import { between, unit } from './random';

/**
 * Table-specific realism for the tables a clinic lives on, layered over the generic column
 * values. Patient-owned tables are laid out in per-patient key blocks (see
 * `GeneratorContext.patientOf`), so a procedure's appointment, a claim's procedures and a split's
 * payment all belong to the same patient.
 */
export type TableRules = Record<string, ValueGen>;

/** Common CDT codes with their descriptions and a typical fee. */
const CDT_CODES: [string, string, number][] = [
  ['D0120', 'Periodic oral evaluation', 55],
  ['D0140', 'Limited oral evaluation - problem focused', 85],
  ['D0150', 'Comprehensive oral evaluation', 95],
  ['D0210', 'Intraoral - complete series of radiographic images', 140],
  ['D0220', 'Intraoral - periapical first radiographic image', 30],
  ['D0274', 'Bitewings - four radiographic images', 65],
  ['D0330', 'Panoramic radiographic image', 120],
  ['D1110', 'Prophylaxis - adult', 105],
  ['D1120', 'Prophylaxis - child', 75],
  ['D1206', 'Topical application of fluoride varnish', 40],
  ['D1351', 'Sealant - per tooth', 50],
  ['D2140', 'Amalgam - one surface, primary or permanent', 130],
  ['D2150', 'Amalgam - two surfaces, primary or permanent', 160],
  ['D2330', 'Resin-based composite - one surface, anterior', 150],
  ['D2391', 'Resin-based composite - one surface, posterior', 170],
  ['D2392', 'Resin-based composite - two surfaces, posterior', 215],
  ['D2740', 'Crown - porcelain/ceramic', 1250],
  ['D2750', 'Crown - porcelain fused to high noble metal', 1200],
  ['D2950', 'Core buildup, including any pins when required', 275],
  ['D3310', 'Endodontic therapy, anterior tooth', 850],
  ['D3330', 'Endodontic therapy, molar tooth', 1150],
  ['D4341', 'Periodontal scaling and root planing - four or more teeth per quadrant', 240],
  ['D4910', 'Periodontal maintenance', 150],
  ['D5110', 'Complete denture - maxillary', 1800],
  ['D6010', 'Surgical placement of implant body: endosteal implant', 2200],
  ['D7140', 'Extraction, erupted tooth or exposed root', 180],
  ['D7210', 'Extraction, erupted tooth requiring removal of bone', 320],
  ['D8090', 'Comprehensive orthodontic treatment of the adult dentition', 5500],
  ['D9110', 'Palliative treatment of dental pain - per visit', 110],
  ['D9230', 'Inhalation of nitrous oxide/analgesia, anxiolysis', 75],
];

const CARRIERS = [
  'Delta Dental',
  'MetLife',
  'Cigna Dental',
  'Aetna',
  'Guardian',
  'United Concordia',
  'Humana',
  'Principal Financial Group',
  'Ameritas',
  'Blue Cross Blue Shield',
  'Sun Life',
  'Lincoln Financial',
];
const SURFACES = ['', '', 'O', 'MO', 'DO', 'MOD', 'B', 'L', 'F', 'I'];
const TEETH = ['', '', '', ...Array.from({ length: 32 }, (_, i) => String(i + 1))];
const PERMISSION_TYPES = ['27', '28', '29', '32', '43', '94', '115', '120', '133', '211'];
const COMPUTERS = ['FRONTDESK1', 'FRONTDESK2', 'OP1', 'OP2', 'OP3', 'HYG1', 'DRPRIVATE', 'BILLING'];

/** Status weights: [code, cumulative probability]. */
function weighted(entries: [string, number][]): (u: number) => string {
  let total = 0;
  const cumulative = entries.map(([code, weight]) => {
    total += weight;
    return [code, total] as const;
  });
  return (u) => cumulative.find(([, c]) => u * total < c)?.[0] ?? entries[0]?.[0] ?? '0';
}

export function clinicRules(ctx: GeneratorContext): Record<string, TableRules> {
  const s = (table: string, purpose: string) => ctx.salt(table, purpose);
  const { pools } = ctx;
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
  const patStatus = weighted([
    ['0', 82],
    ['2', 8],
    ['3', 5],
    ['5', 1],
    ['1', 4],
  ]);
  const claimStatus = weighted([
    ['R', 80],
    ['S', 10],
    ['W', 4],
    ['U', 3],
    ['H', 3],
  ]);
  const claimProcStatus = weighted([
    ['1', 60],
    ['0', 10],
    ['6', 25],
    ['4', 3],
    ['2', 2],
  ]);

  const familyHead = (row: number) => {
    // A patient starts a new family with probability 0.4; the family's guarantor is its first member.
    let head = row;
    while (head > 1 && unit(ctx.rowHashOf('patient', head), s('patient', 'family')) >= 0.4) head--;
    return head;
  };
  const owned =
    (table: string): ValueGen =>
    (row) =>
      String(ctx.patientOf(table, row));
  const procOfPatient = (patient: number, h: number, salt: number) =>
    ctx.rowOfPatient('procedurelog', patient, h, salt);

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
    carrier: {
      CarrierName: (row, h) =>
        `${CARRIERS[(row - 1) % CARRIERS.length]}${row > CARRIERS.length ? ` ${ctx.pick(h, 5, pools.states)}` : ''}`,
      ElectID: (_r, h) => String(between(h, s('carrier', 'e'), 10_000, 99_999)),
    },
    insplan: {
      GroupName: (_r, h) => ctx.pick(h, s('insplan', 'g'), pools.employers).slice(0, 50),
      GroupNum: (_r, h) => String(between(h, s('insplan', 'n'), 100_000, 999_999)),
      PlanType: (_r, h) => ctx.pick(h, s('insplan', 't'), ['', 'p', 'f', 'c']),
    },
    inssub: {
      SubscriberID: (_r, h) => `W${between(h, s('inssub', 'id'), 10_000_000, 99_999_999)}`,
      DateTerm: () => NO_DATE,
    },
    patplan: {
      PatNum: owned('patplan'),
      Ordinal: (_r, h) => (ctx.chance(h, 1, 0.85) ? '1' : '2'),
    },
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
    claim: {
      PatNum: owned('claim'),
      ClaimStatus: (_r, h) => claimStatus(unit(h, s('claim', 'status'))),
      DateService: (_r, h) => ctx.date(h, s('claim', 'ds'), 10),
      ClaimFee: (_r, h) => ctx.money(h, s('claim', 'fee'), 50, 2500),
      InsPayAmt: (_r, h) => ctx.money(h, s('claim', 'pay'), 0, 1500),
      ClaimType: (_r, h) => (ctx.chance(h, s('claim', 'type'), 0.9) ? 'P' : 'S'),
    },
    claimproc: {
      PatNum: owned('claimproc'),
      ProcNum: (row, h) =>
        String(procOfPatient(ctx.patientOf('claimproc', row), h, s('claimproc', 'proc'))),
      ClaimNum: (row, h) =>
        String(
          ctx.rowOfPatient('claim', ctx.patientOf('claimproc', row), h, s('claimproc', 'claim')),
        ),
      Status: (_r, h) => claimProcStatus(unit(h, s('claimproc', 'status'))),
      InsPayAmt: (_r, h) => ctx.money(h, s('claimproc', 'pay'), 0, 800),
      FeeBilled: (_r, h) => ctx.money(h, s('claimproc', 'fee'), 30, 1500),
    },
    payment: {
      PatNum: owned('payment'),
      PayAmt: (_r, h) => ctx.money(h, s('payment', 'amt'), 5, 1200),
      PayDate: (_r, h) => ctx.date(h, s('payment', 'date'), 12),
      CheckNum: (_r, h) =>
        ctx.chance(h, s('payment', 'chk'), 0.6) ? '' : String(between(h, 8, 1000, 9999)),
      PayNote: (_r, h) =>
        ctx.chance(h, s('payment', 'note'), 0.8) ? '' : ctx.pick(h, 9, pools.sentences),
    },
    paysplit: {
      // Splits follow their payment: contiguous blocks of splits per payment.
      PayNum: (row) => String(splitPayment(ctx, row)),
      PatNum: (row) => String(ctx.patientOf('payment', splitPayment(ctx, row))),
      ProcNum: (row, h) =>
        ctx.chance(h, s('paysplit', 'noproc'), 0.3)
          ? '0'
          : String(
              procOfPatient(
                ctx.patientOf('payment', splitPayment(ctx, row)),
                h,
                s('paysplit', 'proc'),
              ),
            ),
      SplitAmt: (_r, h) => ctx.money(h, s('paysplit', 'amt'), 1, 400),
      DatePay: (_r, h) => ctx.date(h, s('paysplit', 'date'), 12),
      FSplitNum: () => '0',
      AdjNum: () => '0',
    },
    adjustment: {
      PatNum: owned('adjustment'),
      AdjAmt: (_r, h) => ctx.money(h, s('adjustment', 'amt'), -300, 150),
      AdjDate: (_r, h) => ctx.date(h, s('adjustment', 'date'), 12),
      ProcNum: (row, h) =>
        ctx.chance(h, 2, 0.5)
          ? '0'
          : String(procOfPatient(ctx.patientOf('adjustment', row), h, s('adjustment', 'proc'))),
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

/** Payment of paysplit `row`: splits are laid out in contiguous blocks per payment. */
function splitPayment(ctx: GeneratorContext, row: number): number {
  const payments = ctx.count('payment');
  const splits = ctx.count('paysplit');
  return payments === 0 || splits === 0 ? 0 : 1 + Math.floor(((row - 1) * payments) / splits);
}

/** Security log entries are in time order, like an append-only log. */
function securityLogTime(ctx: GeneratorContext, row: number): string {
  const n = Math.max(1, ctx.count('securitylog'));
  return ctx.secondsBeforeAsOf(Math.floor(((n - row) / n) * 5 * 365 * 86_400));
}
