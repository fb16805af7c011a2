import type { GeneratorContext } from './generator-context';
import { between } from './random';
import { ruleKit, type TableRules } from './rule-kit';

/** Payments, their splits over the patient's procedures, and adjustments. */
export function paymentRules(ctx: GeneratorContext): Record<string, TableRules> {
  const { s, pools, owned, procOfPatient } = ruleKit(ctx);

  return {
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
  };
}

/** Payment of paysplit `row`: splits are laid out in contiguous blocks per payment. */
function splitPayment(ctx: GeneratorContext, row: number): number {
  const payments = ctx.count('payment');
  const splits = ctx.count('paysplit');
  return payments === 0 || splits === 0 ? 0 : 1 + Math.floor(((row - 1) * payments) / splits);
}
