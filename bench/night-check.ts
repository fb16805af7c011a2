import type { PipelineConfig } from '../config/schema';
import { quotePg } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import { verifyPipeline } from '../core/pipeline/verify';
import { comparePublicWithRaw } from '../test/helpers/compare-public';
import { compareRawWithReplica } from '../test/helpers/compare-raw';

/** Rows held in memory per comparison page: a clinic's largest tables are compared in pieces. */
const PAGE_ROWS = 20_000;

/** Per differing table, the kinds of difference found (never a value). */
export type NightDifferences = Record<string, string[]>;

/**
 * Every table, row for row, after the night: source = replica (verify's counts and range
 * checksums), replica = raw and raw = public (the tests' independent comparers, every value of
 * every row). Returns the tables that differ and how, and how many tables were compared.
 * `rowForRow: false` stops after verify's counts and checksums (raw and public by counts only):
 * minutes instead of about 18 on the clinic-scale demo.
 */
export async function checkNight(
  config: PipelineConfig,
  options: { rowForRow?: boolean } = {},
): Promise<{ tables: number; differences: NightDifferences }> {
  const differences: NightDifferences = {};
  const add = (table: string, kind: string) => {
    const kinds = differences[table] ?? [];
    if (!kinds.includes(kind)) kinds.push(kind);
    differences[table] = kinds;
  };
  const verified = await verifyPipeline(config);
  for (const v of verified) {
    if (v.replica !== v.source) add(v.table, 'source and replica row counts differ');
    if (v.checksum === 'differs') add(v.table, 'source and replica rows differ (range checksums)');
    if (v.raw !== v.source) add(v.table, v.raw === null ? 'missing in raw' : 'raw row count');
    if (v.public !== v.source)
      add(v.table, v.public === null ? 'missing in public' : 'public row count');
  }
  if (options.rowForRow === false) return { tables: verified.length, differences };
  const { replication, analytics } = config.connections;
  const replica = await openMysql(replication, { label: 'replication', readOnly: true });
  const pg = await openPg(analytics, { label: 'analytics' });
  try {
    for (const { table } of verified) {
      if (verified.find((v) => v.table === table)?.replica === null) continue;
      for (const d of await compareRawWithReplica(
        replica,
        replication.database,
        pg,
        [table],
        analytics.schemas.raw,
        PAGE_ROWS,
      ))
        add(table, rawKind(d));
      if (verified.find((v) => v.table === table)?.raw === null) continue;
      for (const d of await comparePublicWithRaw(
        pg,
        [table.toLowerCase()],
        analytics.schemas.public,
        PAGE_ROWS,
      ))
        add(table, publicKind(d));
    }
  } finally {
    await Promise.all([replica.close(), pg.close()]);
  }
  return { tables: verified.length, differences };
}

/** "t row 3 column c" → "raw values differ in column c"; counts stay as they are. */
function rawKind(difference: string): string {
  const column = / column (\S+)$/.exec(difference)?.[1];
  return column ? `replica and raw values differ in ${column}` : 'replica and raw row counts';
}

function publicKind(difference: string): string {
  const column = / column (\S+)$/.exec(difference)?.[1];
  if (column) return `raw and public values differ in ${column}`;
  return difference.includes('missing') ? 'public table or columns missing' : 'public row count';
}

export const ROW_CONTENT_DIFFERS = 'source and replica rows differ (range checksums)';

/**
 * The differences the guarantee allows after one night: in a table over the size threshold
 * (compared in a rolling slice), rows whose edits touched no change column, which its rolling
 * cycle finds within its bound of nights. Counts, raw and public must still agree.
 */
export function allowedDifferences(
  differences: NightDifferences,
  rolling: Record<string, number>,
  /** Tables the day edited without touching a change column. */
  unstampedEdits: readonly string[],
): { allowed: NightDifferences; other: NightDifferences } {
  const allowed: NightDifferences = {};
  const other: NightDifferences = {};
  for (const [table, kinds] of Object.entries(differences)) {
    const withinBound =
      rolling[table] !== undefined &&
      unstampedEdits.includes(table) &&
      kinds.every((kind) => kind === ROW_CONTENT_DIFFERS);
    (withinBound ? allowed : other)[table] = kinds;
  }
  return { allowed, other };
}

/** One line per differing table: its name and the kinds of difference. */
export function describeDifferences(differences: NightDifferences): string {
  return Object.entries(differences)
    .map(([table, kinds]) => `${table}: ${kinds.join('; ')}`)
    .join('\n');
}

/**
 * How the last run's extract compared each table, from `etl_meta.stage_results` (the extract's
 * `detail`): tables per strategy and per comparison (whole, rolling, none: not written since
 * verified), and which were copied in full.
 */
export async function extractComparisons(config: PipelineConfig): Promise<{
  runId: string | null;
  tables: number;
  byKind: Record<string, number>;
  /** Tables compared in a rolling slice: table → staleness bound in nights. */
  rolling: Record<string, number>;
}> {
  const { analytics } = config.connections;
  const meta = quotePg(analytics.schemas.meta);
  const pg = await openPg(analytics, { label: 'analytics' });
  try {
    const [run] = await pg.query<{ run_id: string }>(
      `SELECT run_id FROM ${meta}.runs ORDER BY started_at DESC LIMIT 1`,
    );
    if (!run) return { runId: null, tables: 0, byKind: {}, rolling: {} };
    const rows = await pg.query<{ table_name: string; detail: Record<string, unknown> }>(
      `SELECT table_name, detail FROM ${meta}.stage_results WHERE run_id = $1 AND stage = 'extract'`,
      [run.run_id],
    );
    const byKind: Record<string, number> = {};
    const rolling: Record<string, number> = {};
    for (const { table_name, detail } of rows) {
      const verification = detail.verification as { compared?: string; boundNights?: number };
      if (verification?.compared === 'rolling') rolling[table_name] = verification.boundNights ?? 0;
      const kind = [
        String(detail.strategy ?? 'unknown'),
        `compared ${(detail.verification as { compared?: string } | undefined)?.compared ?? '?'}`,
        detail.fullRefreshReason ? 'full copy' : null,
      ]
        .filter(Boolean)
        .join(' + ');
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    return { runId: run.run_id, tables: rows.length, byKind, rolling };
  } finally {
    await pg.close();
  }
}

/** Counts the local state machine's execution events: all of them, and states entered. */
export function eventCounter() {
  const counts = { events: 0, stateTransitions: 0, byType: {} as Record<string, number> };
  return {
    counts,
    onEvent(event: Record<string, unknown>) {
      const type = String(event.type);
      counts.events++;
      if (type === 'StateEntered') counts.stateTransitions++;
      counts.byType[type] = (counts.byType[type] ?? 0) + 1;
    },
  };
}
