import type { TableOverride } from '../../../config/schema';
import type { MysqlSession } from '../../db/ports';
import type { DiscoveredTable } from '../../discovery/discover-schema';
import type { ExtractState } from '../extract-state';

/** What a strategy's pass works with: both sessions, the table as the run sees it, its state. */
export interface StrategyContext {
  source: MysqlSession;
  replica: MysqlSession;
  /** The source table, with the change column tables.yml may have set. */
  table: DiscoveredTable;
  runId: string;
  batchSize: number;
  /** The table's extract state before this run (null: never extracted). */
  state: ExtractState | null;
  overlapMinutes: number;
  /** The source's `SHOW CREATE TABLE` (the replica's definition is derived from it). */
  showCreate: string;
  /** Whether the replica has the table already. */
  replicaHasTable: boolean;
  /**
   * Where the timestamp window starts (before the overlap): the stored watermark, or earlier when
   * the source clock was seen stepped back. Absent: the stored watermark.
   */
  windowStart?: string | null;
}

/** Rows a pass changed in the replica (each logged to the replica change log), and bytes moved. */
export interface StrategyOutcome {
  inserted: number;
  updated: number;
  deleted: number;
  bytes: number;
  /** The latest change-column value the pass read (timestamp passes; null: none read). */
  latestStamp?: string | null;
}

/**
 * One way of finding what changed in a source table. A strategy lives in its own file in this
 * folder and is registered once in `index.ts`; its name is in the contract's `StrategySchema`.
 */
export interface ExtractStrategy {
  /** Why it must run on this table whatever tables.yml says (null: it need not). */
  requiredFor?(table: DiscoveredTable): string | null;
  /** Why the plan picks it for this table when tables.yml names none (null: it does not apply). */
  choose(table: DiscoveredTable, override: TableOverride): string | null;
  /** Whether it can run on this table; when it cannot, the table is reconciled or copied whole. */
  canRun(table: DiscoveredTable): boolean;
  /**
   * Whether its pass runs on an incremental night before the night's comparison (skipped when the
   * table is compared whole, which sees everything the pass would). False: the comparison alone
   * finds the table's changes (`reconcile`), or it never runs incrementally (`full`).
   */
  nightlyPass: boolean;
  run(context: StrategyContext): Promise<StrategyOutcome>;
}
