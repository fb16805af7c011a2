import { Command, Option } from '@commander-js/extra-typings';
import Table from 'cli-table3';
import { quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import { awsRunStatus } from '../aws-target';
import { configFrom } from '../config-context';
import type { RunStatus } from '../run-status';

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'the last runs and, for the latest, each table’s stages (rows, duration, status, error class)',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json'] as const)
        .default('table'),
    )
    .addOption(
      new Option('--target <target>', 'local: etl_meta; aws: Step Functions executions')
        .choices(['local', 'aws'] as const)
        .default('local'),
    )
    .option('--limit <n>', 'how many runs', (v) => Number(v), 10)
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const config = configFrom(options);
      const status =
        options.target === 'aws'
          ? await awsRunStatus(config.pipeline, options.limit)
          : await localStatus(config.pipeline, options.limit);
      if (options.format === 'json') {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      printStatus(status);
    });
}

async function localStatus(
  config: ReturnType<typeof configFrom>['pipeline'],
  limit: number,
): Promise<RunStatus> {
  const meta = quotePg(config.connections.analytics.schemas.meta);
  const pg = await openPg(config.connections.analytics, { label: 'analytics' });
  try {
    const [exists] = await pg.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
      `${config.connections.analytics.schemas.meta}.runs`,
    ]);
    if (!exists?.t) return { runs: [], latest: [] };
    const runs = await pg.query<RunStatus['runs'][number]>(
      `SELECT run_id AS "runId", status, started_at::text AS "startedAt", finished_at::text AS "finishedAt",
              tables_total AS "tablesTotal", tables_failed AS "tablesFailed"
         FROM ${meta}.runs ORDER BY started_at DESC LIMIT $1`,
      [limit],
    );
    const latest = runs[0]
      ? await pg.query<RunStatus['latest'][number]>(
          `SELECT table_name AS "table", stage, status, rows::int AS rows, duration_ms::int AS "durationMs", error_class AS "errorClass",
                  detail->'verification'->>'compared' AS compared,
                  detail->'verification'->>'verifiedAt' AS "lastFullyVerified",
                  (detail->'verification'->>'boundNights')::int AS "staleBoundNights"
             FROM ${meta}.stage_results WHERE run_id = $1
            ORDER BY table_name, array_position(ARRAY['extract','load','transform'], stage)`,
          [runs[0].runId],
        )
      : [];
    return { runs, latest };
  } finally {
    await pg.close();
  }
}

function printStatus(status: RunStatus): void {
  if (status.runs.length === 0) {
    console.log('No runs yet.');
    return;
  }
  // Plain borders when the output is not a terminal (logs, CI, pipes).
  const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
  const runs = new Table({
    head: ['run', 'status', 'started', 'finished', 'tables', 'failed'],
    ...style,
  });
  for (const r of status.runs)
    runs.push([r.runId, r.status, r.startedAt, r.finishedAt ?? '', r.tablesTotal, r.tablesFailed]);
  console.log(runs.toString());
  if (status.mapRun) console.log(mapRunLine(status.mapRun));
  if (status.latest.length === 0) return;
  const tables = new Map<
    string,
    {
      status: string;
      rows: Record<string, number | null>;
      ms: number;
      error: string;
      verified: string;
    }
  >();
  for (const s of status.latest) {
    const t = tables.get(s.table) ?? {
      status: 'succeeded',
      rows: {},
      ms: 0,
      error: '',
      verified: '',
    };
    t.rows[s.stage] = s.rows;
    if (s.compared) t.verified = verificationCell(s);
    t.ms += s.durationMs;
    if (s.status !== 'succeeded') {
      t.status = `${s.status} (${s.stage})`;
      t.error = s.errorClass ?? '';
    }
    tables.set(s.table, t);
  }
  const table = new Table({
    head: [
      'table',
      'status',
      'extract rows',
      'load rows',
      'transform rows',
      'duration (s)',
      'error class',
      'compared; fully verified; bound',
    ],
    ...style,
  });
  for (const [name, t] of tables) {
    // Blank where the stage did not run, or its rows are not known (a Fargate stage in AWS).
    const rows = (stage: string) => t.rows[stage]?.toLocaleString('en-US') ?? '';
    table.push([
      name,
      t.status,
      rows('extract'),
      rows('load'),
      rows('transform'),
      (t.ms / 1000).toFixed(1),
      t.error,
      t.verified,
    ]);
  }
  console.log(`Latest run: ${status.runs[0]?.runId}`);
  console.log(table.toString());
}

/** `whole; 2026-12-01 02:10:00; 1 night`: tonight's comparison, the last full one, the bound. */
function verificationCell(s: RunStatus['latest'][number]): string {
  const bound = s.staleBoundNights ?? 1;
  return `${s.compared}; ${s.lastFullyVerified ?? 'never'}; ${bound} night${bound === 1 ? '' : 's'}`;
}

/**
 * The latest run's progress by child execution. A table that fails is caught and alerted in its
 * child, which still ends succeeded: "done" counts those too (the table lines say which failed).
 */
export function mapRunLine(m: NonNullable<RunStatus['mapRun']>): string {
  const stopped = [
    [m.failed, 'failed'],
    [m.timedOut, 'timed out'],
    [m.aborted, 'aborted'],
  ].flatMap(([n, what]) => (Number(n) > 0 ? [`${n} ${what}`] : []));
  const ended = stopped.length > 0 ? ` (child executions ${stopped.join(', ')})` : '';
  return `Map run ${m.status}: ${m.total} tables, ${m.pending} pending, ${m.running} running, ${m.succeeded} done${ended}`;
}
