import { Metrics } from '@aws-lambda-powertools/metrics';
import type { StageOutput } from '../../contract/stage';
import { publishStageMetrics } from '../../ecs-tasks/stage-metrics';

/**
 * Canary values: planted in patient names, SSNs, e-mails and clinical notes, and used as the
 * passwords of the pipeline's database users. None may ever appear in anything the pipeline emits.
 */
export const CANARY = {
  lastName: 'Zqcanarylast',
  firstName: 'Zqcanaryfirst',
  ssn: '900713344',
  email: 'zq.canary.7713@example.invalid',
  note: 'ZQCANARYNOTE penicillin allergy',
  sourcePassword: 'ZqPwSrc7713x',
  replicaPassword: 'ZqPwRep7713x',
  analyticsPassword: 'ZqPwPg7713x',
};
export const CANARY_NEEDLES = [
  CANARY.lastName,
  CANARY.firstName,
  CANARY.ssn,
  '900-71-3344',
  CANARY.email,
  'ZQCANARYNOTE',
  CANARY.sourcePassword,
  CANARY.replicaPassword,
  CANARY.analyticsPassword,
];

/** Every text the pipeline emitted during the suite, by where it came from. */
export class Emitted {
  readonly texts: { where: string; text: string }[] = [];
  add(where: string, text: unknown): void {
    this.texts.push({ where, text: typeof text === 'string' ? text : JSON.stringify(text) });
  }
  /** Where each canary turned up (empty: nothing leaked). */
  leaks(): { where: string; needle: string }[] {
    return this.texts.flatMap(({ where, text }) =>
      CANARY_NEEDLES.filter((n) => text.toLowerCase().includes(n.toLowerCase())).map((needle) => ({
        where,
        needle,
      })),
    );
  }
}

/** The EMF lines the Lambda would print for these stage outputs. */
export function captureMetrics(outputs: readonly StageOutput[]): string {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    for (const output of outputs)
      publishStageMetrics(
        new Metrics({ namespace: 'OpenDentalEtl', serviceName: 'faults' }),
        output,
      );
  } finally {
    process.stdout.write = write;
  }
  return lines.join('');
}
