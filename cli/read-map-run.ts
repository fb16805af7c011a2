import {
  DescribeMapRunCommand,
  type ExecutionListItem,
  type HistoryEvent,
  paginateGetExecutionHistory,
  paginateListExecutions,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import pLimit from 'p-limit';
import { readExecutionHistory, type StageLine, sortStages } from './read-execution-history';
import type { RunStatus } from './run-status';

/**
 * How many child histories are read at once. GetExecutionHistory's token bucket holds 400 calls
 * and refills 20 a second (per account and Region): a night's 422 children at 5 at a time take a
 * few seconds and stay within it, and leave room for the console and other callers.
 */
export const HISTORY_READS_AT_ONCE = 5;

/** The most a page holds (ListExecutions and GetExecutionHistory): a table's child needs one. */
const PAGE_SIZE = 1000;

/**
 * The tables of a Map Run: its counts (`DescribeMapRun`), its child executions (`ListExecutions`
 * with `mapRunArn`, every page) and each child's stages from its own history (`GetExecutionHistory`,
 * every page), `concurrency` histories at a time. A child that has not started yet is not listed:
 * its table has no stage yet, and the counts say how many are pending.
 */
export async function readMapRun(
  sfn: SFNClient,
  mapRunArn: string,
  now: Date,
  concurrency = HISTORY_READS_AT_ONCE,
): Promise<{ mapRun: NonNullable<RunStatus['mapRun']>; stages: StageLine[] }> {
  const [description, children] = await Promise.all([
    sfn.send(new DescribeMapRunCommand({ mapRunArn })),
    childExecutions(sfn, mapRunArn),
  ]);
  const limit = pLimit(concurrency);
  const stages = await Promise.all(
    children.map((child) =>
      limit(async () => readExecutionHistory(await executionHistory(sfn, child), now).stages),
    ),
  );
  const counts = description.itemCounts;
  return {
    mapRun: {
      status: String(description.status ?? '').toLowerCase(),
      total: counts?.total ?? children.length,
      pending: counts?.pending ?? 0,
      running: counts?.running ?? 0,
      succeeded: counts?.succeeded ?? 0,
      failed: counts?.failed ?? 0,
      timedOut: counts?.timedOut ?? 0,
      aborted: counts?.aborted ?? 0,
    },
    stages: sortStages(stages.flat()),
  };
}

async function childExecutions(sfn: SFNClient, mapRunArn: string): Promise<string[]> {
  const children: ExecutionListItem[] = [];
  const pages = paginateListExecutions(
    { client: sfn, pageSize: PAGE_SIZE },
    { mapRunArn, maxResults: PAGE_SIZE },
  );
  for await (const page of pages) children.push(...(page.executions ?? []));
  return children.flatMap((c) => (c.executionArn ? [c.executionArn] : []));
}

/** An execution's whole history, oldest event first, with its inputs and outputs. */
export async function executionHistory(
  sfn: SFNClient,
  executionArn: string,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  const pages = paginateGetExecutionHistory(
    { client: sfn, pageSize: PAGE_SIZE },
    { executionArn, maxResults: PAGE_SIZE, includeExecutionData: true },
  );
  for await (const page of pages) events.push(...(page.events ?? []));
  return events;
}
