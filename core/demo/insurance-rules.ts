import { type GeneratorContext, NO_DATE } from './generator-context';
import { between, unit } from './random';
import { ruleKit, type TableRules, weighted } from './rule-kit';

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

/** Carriers, plans, subscriptions, and the claims with their procedures. */
export function insuranceRules(ctx: GeneratorContext): Record<string, TableRules> {
  const { s, pools, owned, procOfPatient } = ruleKit(ctx);
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

  return {
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
  };
}
