/**
 * The change logs stages hand to each other (the extract's in the replica for the load, the
 * load's in `etl_meta` for the transform), and the one way a stage consumes them: read the
 * window past its cursor, apply it batch by batch with the last operation per key, then prune.
 */
export type ChangeOp = 'U' | 'D' | 'F';

export interface ChangeEntry {
  seq: string;
  op: ChangeOp;
  /** The primary key value; null for a full-refresh marker. */
  pk: string | null;
}

/** One table's entries of a change log, in `seq` order. */
export interface ChangeLogReader {
  /** The newest entry's `seq`, '0' when there is none. */
  head(table: string): Promise<string>;
  /** Whether a full-refresh marker (`F`) lies in (after, upTo]. */
  hasFullRefresh(table: string, after: string, upTo: string): Promise<boolean>;
  /** At most `limit` entries in (after, upTo]. */
  entries(table: string, after: string, upTo: string, limit: number): Promise<ChangeEntry[]>;
  /** Forgets entries up to `upTo`, once what applied them has committed. */
  prune(table: string, upTo: string): Promise<void>;
}

/** The entries a stage has not applied yet: (cursor, head], and whether a full refresh is among them. */
export interface ChangeWindow {
  cursor: string;
  head: string;
  fullRefresh: boolean;
}

export async function readChangeWindow(
  log: ChangeLogReader,
  table: string,
  cursor: string,
): Promise<ChangeWindow> {
  const head = await log.head(table);
  return { cursor, head, fullRefresh: await log.hasFullRefresh(table, cursor, head) };
}

/** What a batch of entries asks for: the last operation per key wins. */
export interface ChangeBatch {
  /** Keys whose last entry is an insert or update. */
  upserts: string[];
  /** Keys whose last entry is a delete. */
  deletes: string[];
}

export function lastOperationPerKey(entries: readonly ChangeEntry[]): ChangeBatch {
  const last = new Map<string, ChangeOp>();
  for (const e of entries) if (e.pk !== null) last.set(e.pk, e.op);
  const batch: ChangeBatch = { upserts: [], deletes: [] };
  for (const [key, op] of last) {
    if (op === 'U') batch.upserts.push(key);
    else if (op === 'D') batch.deletes.push(key);
  }
  return batch;
}

const ENTRIES_PER_BATCH = 10_000;

/**
 * Applies the window's entries in `seq` order, a batch of at most 10,000 at a time, through
 * `apply`; run it inside the transaction that also moves the stage's cursor to `window.head`.
 * Returns how many entries were applied.
 */
export async function applyChangeWindow(options: {
  log: ChangeLogReader;
  table: string;
  window: ChangeWindow;
  apply: (batch: ChangeBatch) => Promise<void>;
}): Promise<number> {
  const { log, table, window } = options;
  let applied = 0;
  let after = window.cursor;
  for (;;) {
    const entries = await log.entries(table, after, window.head, ENTRIES_PER_BATCH);
    if (entries.length === 0) return applied;
    applied += entries.length;
    after = (entries[entries.length - 1] as ChangeEntry).seq;
    await options.apply(lastOperationPerKey(entries));
    if (entries.length < ENTRIES_PER_BATCH) return applied;
  }
}
