/** What `status` shows, from `etl_meta` locally or from Step Functions executions in AWS. */
export interface RunStatus {
  runs: {
    runId: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    tablesTotal: number;
    tablesFailed: number;
  }[];
  latest: {
    table: string;
    stage: string;
    status: string;
    /** Null where the history does not say: a Fargate stage, a failed or running one. */
    rows: number | null;
    durationMs: number;
    errorClass: string | null;
  }[];
}
