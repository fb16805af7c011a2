import type { RunSummary } from '../../contract/stage';
import type { Alert } from './alert';

/**
 * The alert texts, once. The state machine builds the same texts with `States.Format` from these
 * templates (`{}` is each value in turn), and the local runner and tests fill them with
 * {@link fillTemplate}; so AWS and local runs send the same words.
 */
export const TABLE_FAILURE_SUBJECT = 'OpenDental ETL: a table failed';
/** Run id, table, stage, error class. */
export const TABLE_FAILURE_TEMPLATE =
  'Run {}: table {} failed in stage {} with {}. The other tables go on; see etl-pipeline status.';

export const RUN_SUMMARY_SUBJECT = 'OpenDental ETL: nightly run summary';
/** Run id, status, tables succeeded, tables in all, tables failed. */
export const RUN_SUMMARY_TEMPLATE = 'Run {} {}: {} of {} tables succeeded, {} failed.';

/** `States.Format`'s substitution: each `{}` in turn takes the next value. */
export function fillTemplate(template: string, values: readonly (string | number)[]): string {
  let next = 0;
  return template.replace(/\{\}/g, () => String(values[next++] ?? ''));
}

export function tableFailureAlert(failure: {
  runId: string;
  table: string;
  stage: string;
  error: string;
}): Alert {
  return {
    subject: TABLE_FAILURE_SUBJECT,
    message: fillTemplate(TABLE_FAILURE_TEMPLATE, [
      failure.runId,
      failure.table,
      failure.stage,
      failure.error,
    ]),
  };
}

export function runSummaryAlert(summary: RunSummary): Alert {
  return {
    subject: RUN_SUMMARY_SUBJECT,
    message: fillTemplate(RUN_SUMMARY_TEMPLATE, [
      summary.runId,
      summary.status,
      summary.tablesSucceeded,
      summary.tablesTotal,
      summary.tablesFailed,
    ]),
  };
}
