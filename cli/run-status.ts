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
    /**
     * Extract stages (local status): how the night compared the table, when the table was last
     * fully verified, and the staleness bound its size and the budget imply.
     */
    compared?: string | null;
    lastFullyVerified?: string | null;
    staleBoundNights?: number | null;
  }[];
  /**
   * AWS only: the latest run's Map Run (`DescribeMapRun`), its tables counted by the state of
   * their child executions. A table that fails is caught and alerted inside its child, which then
   * ends `succeeded`: the failed tables are in `latest` and `runs[0].tablesFailed`.
   */
  mapRun?: {
    status: string;
    total: number;
    pending: number;
    running: number;
    succeeded: number;
    failed: number;
    timedOut: number;
    aborted: number;
  };
}
