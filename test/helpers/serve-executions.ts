import {
  DescribeMapRunCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ResourceNotFound,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { EtlExecution } from './etl-execution';

/** What the mocked Step Functions API was asked, in order (inputs copied when called). */
export interface ServedCalls {
  histories: { executionArn: string; nextToken?: string }[];
  childLists: { mapRunArn: string; nextToken?: string; maxResults?: number }[];
  /** The most GetExecutionHistory calls that were in flight at once. */
  maxHistoriesInFlight: number;
}

/**
 * Serves an execution of the pipeline through the mocked SFN client as Step Functions does:
 * ListExecutions by state machine (the run) or by Map Run (its started children, newest first,
 * `childPageSize` a page: the API may return fewer than `maxResults`), GetExecutionHistory per
 * execution (`historyPageSize` events a page, each page answered after `latencyMs`), and
 * DescribeMapRun (the children counted by status; a table not started yet is pending). Pages are
 * chained by opaque `nextToken`s; an unknown ARN fails as the API does.
 */
export function serveExecutions(
  sfn: AwsClientStub<SFNClient>,
  execution: EtlExecution,
  options: { historyPageSize?: number; childPageSize?: number; latencyMs?: number } = {},
): ServedCalls {
  const calls: ServedCalls = { histories: [], childLists: [], maxHistoriesInFlight: 0 };
  const historyPageSize = options.historyPageSize ?? 20;
  const childPageSize = options.childPageSize ?? 2;
  const histories = new Map<string, HistoryEvent[]>([
    [execution.executionArn, execution.parent],
    ...execution.children.map((c) => [c.executionArn, c.events] as [string, HistoryEvent[]]),
  ]);
  const run = {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.runId,
    status: execution.status,
    startDate: execution.startDate,
    ...(execution.stopDate ? { stopDate: execution.stopDate } : {}),
  };
  const children = execution.children.map((c) => ({
    executionArn: c.executionArn,
    stateMachineArn: execution.mapRunArn
      .replace(':mapRun:', ':stateMachine:')
      .replace(/:[^:/]+$/, ''),
    name: c.name,
    status: c.status,
    startDate: c.startDate,
    ...(c.stopDate ? { stopDate: c.stopDate } : {}),
    mapRunArn: execution.mapRunArn,
    itemCount: 1,
  }));
  const page = <T>(items: T[], size: number, token: string | undefined, prefix: string) => {
    const index = token ? Number(token.slice(prefix.length)) : 0;
    const next = (index + 1) * size < items.length ? `${prefix}${index + 1}` : undefined;
    return { items: items.slice(index * size, (index + 1) * size), next };
  };

  sfn.on(ListExecutionsCommand).callsFake(async (input) => {
    if (input.stateMachineArn === execution.stateMachineArn) return { executions: [run] };
    if (input.mapRunArn !== execution.mapRunArn)
      throw new ResourceNotFound({ message: 'Map Run does not exist', $metadata: {} });
    calls.childLists.push({ ...input });
    const { items, next } = page(children, childPageSize, input.nextToken, 'children-');
    return { executions: items, ...(next ? { nextToken: next } : {}) };
  });

  let inFlight = 0;
  sfn.on(GetExecutionHistoryCommand).callsFake(async (input) => {
    const events = histories.get(input.executionArn);
    if (!events)
      throw new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} });
    calls.histories.push({ executionArn: input.executionArn, nextToken: input.nextToken });
    inFlight += 1;
    calls.maxHistoriesInFlight = Math.max(calls.maxHistoriesInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 0));
    inFlight -= 1;
    const { items, next } = page(events, historyPageSize, input.nextToken, 'events-');
    return { events: items, ...(next ? { nextToken: next } : {}) };
  });

  sfn.on(DescribeMapRunCommand).callsFake(async (input) => {
    if (input.mapRunArn !== execution.mapRunArn)
      throw new ResourceNotFound({ message: 'Map Run does not exist', $metadata: {} });
    const count = (status: string) => execution.children.filter((c) => c.status === status).length;
    const counts = {
      pending: execution.pending.length,
      running: count('RUNNING'),
      succeeded: count('SUCCEEDED'),
      failed: count('FAILED'),
      timedOut: count('TIMED_OUT'),
      aborted: count('ABORTED'),
      total: execution.children.length + execution.pending.length,
      resultsWritten: 0,
      failuresNotRedrivable: 0,
      pendingRedrive: 0,
    };
    return {
      mapRunArn: execution.mapRunArn,
      executionArn: execution.executionArn,
      status: {
        RUNNING: 'RUNNING',
        SUCCEEDED: 'SUCCEEDED',
        FAILED: 'SUCCEEDED',
        ABORTED: 'ABORTED',
      }[execution.status],
      startDate: execution.startDate,
      maxConcurrency: 10,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      itemCounts: counts,
      executionCounts: counts,
    };
  });
  return calls;
}
