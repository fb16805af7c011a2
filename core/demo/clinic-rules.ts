import type { GeneratorContext } from './generator-context';
import { insuranceRules } from './insurance-rules';
import { patientRules } from './patient-rules';
import { paymentRules } from './payment-rules';
import { practiceRules } from './practice-rules';
import type { TableRules } from './rule-kit';
import { treatmentRules } from './treatment-rules';

export type { TableRules } from './rule-kit';

/**
 * Table-specific realism for the tables a clinic lives on, layered over the generic column
 * values. Patient-owned tables are laid out in per-patient key blocks (see
 * `GeneratorContext.patientOf`), so a procedure's appointment, a claim's procedures and a split's
 * payment all belong to the same patient.
 */
export function clinicRules(ctx: GeneratorContext): Record<string, TableRules> {
  return {
    ...patientRules(ctx),
    ...practiceRules(ctx),
    ...treatmentRules(ctx),
    ...insuranceRules(ctx),
    ...paymentRules(ctx),
  };
}
