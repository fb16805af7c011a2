import type { LoadedConfig } from '../config/load-config';
import { stageInputOfTask } from '../contract/container-environment';
import { RunInProgressError } from '../contract/errors';
import {
  isGroup,
  type PlannedTable,
  type RunInput,
  type RunPlan,
  type RunSummary,
  StageOutputSchema,
  tablesOfItems,
} from '../contract/stage';
import { quoteMysql, quotePg } from '../core/db/identifiers';
import { openMysql } from '../core/db/mysql-adapter';
import { openPg } from '../core/db/pg-adapter';
import { createLocalLogger } from '../core/logging/local-logger';
import { silentLogger } from '../core/logging/logger';
import { ensureRunHistory } from '../core/pipeline/run-history';
import { holdLocalRunLock } from '../core/pipeline/run-lock';
import { staleBoundNights } from '../core/pipeline/verification-budget';
import { createPlanHandler } from '../core/runtime';
import { type LocalRunOptions, type LocalRunResult, runLocally } from '../infra/local/local-runner';
import { describeError, EXIT, exitCodeFor, exitCodeForErrorName } from './exit-codes';
import { localAlertSink } from './local-alerts';
import { type Progress, plainProgress, terminalProgress } from './progress';

/**
 * How the local run starts its Fargate tasks (`run --fargate-runner`), and who hears its
 * execution events (the night bench counts them).
 */
export type RunnerOptions = Pick<LocalRunOptions, 'fargateTask' | 'onEvent'>;

/**
 * `run --target local`: the deployed state machine definition, in-process, with one progress line
 * per table stage (plain lines: they read the same in a terminal, a log file or CI) and a summary.
 */
export async function runLocalPipeline(
  config: LoadedConfig,
  input: RunInput,
  progress: Progress = defaultProgress(),
  logsDir = 'logs',
  runner: RunnerOptions = {},
): Promise<number> {
  try {
    return await runWithProgress(config, input, progress, logsDir, runner);
  } finally {
    progress.stop();
  }
}

function defaultProgress(): Progress {
  return process.stdout.isTTY
    ? terminalProgress(process.stdout)
    : plainProgress((line) => console.log(line));
}

async function runWithProgress(
  config: LoadedConfig,
  input: RunInput,
  progress: Progress,
  logsDir: string,
  runner: RunnerOptions,
): Promise<number> {
  const out = (line: string) => progress.line(line);
  if (!input.dryRun) {
    // Names are checked (and the source reached) before anything is created or written.
    const validation = await validatePlan(config, input);
    if (validation !== null) {
      out(validation.message);
      return validation.code;
    }
    await ensureDatabases(config);
    const lockSession = await openPg(config.pipeline.connections.analytics, {
      label: 'analytics',
      applicationName: 'etl-pipeline run lock',
    });
    try {
      const meta = config.pipeline.connections.analytics.schemas.meta;
      await ensureRunHistory(lockSession, meta);
      const lock = await holdLocalRunLock(lockSession, meta);
      for (const runId of lock.interrupted)
        out(`Run ${runId} had been killed before it finished: marked interrupted.`);
      try {
        return await runAndReport(config, input, progress, logsDir, runner);
      } finally {
        await lock.release().catch(() => {});
      }
    } catch (error) {
      if (!(error instanceof RunInProgressError)) throw error;
      out(describeError(error));
      return exitCodeFor(error);
    } finally {
      await lockSession.close();
    }
  }
  return runAndReport(config, input, progress, logsDir, runner);
}

async function runAndReport(
  config: LoadedConfig,
  input: RunInput,
  progress: Progress,
  logsDir: string,
  runner: RunnerOptions,
): Promise<number> {
  const out = (line: string) => progress.line(line);
  const started = Date.now();
  // A dry run writes nothing anywhere, log files included.
  const logger = input.dryRun
    ? silentLogger
    : createLocalLogger({
        dir: logsDir,
        retentionDays: config.pipeline.monitoring.metrics.retention_days,
      });
  const result: LocalRunResult = await runLocally({
    ...runner,
    config,
    input,
    logger,
    alertSink: localAlertSink(config.pipeline, out),
    wrapHandlers: (state, handler) => {
      if (!/^(Lambda|Fargate)(Extract|Load|Transform)$/.test(state)) return handler;
      return async (event) => {
        const table = stageInputOfTask(event)?.table ?? '?';
        const stage = state.replace(/^(Lambda|Fargate)/, '').toLowerCase();
        progress.stageStarted(table, stage, state.startsWith('Fargate') ? 'fargate' : 'lambda');
        const t0 = Date.now();
        try {
          const output = await handler(event);
          // A Lambda task returns the stage output; a Fargate task carries it as `Output`.
          const stageOutput = StageOutputSchema.safeParse(
            (output as { Output?: unknown }).Output ?? output,
          );
          progress.stageDone(
            table,
            stage,
            stageOutput.success ? stageOutput.data.rows : 0,
            (Date.now() - t0) / 1000,
          );
          return output;
        } catch (error) {
          progress.stageFailed(table, stage, (error as Error).name);
          throw error;
        }
      };
    },
  });

  if (result.status === 'failed' && result.error !== 'TablesFailed') {
    // The Plan step itself failed: a usage problem (unknown table) or a database it cannot reach.
    out(`${result.error}: ${result.cause ?? ''}`);
    return exitCodeForErrorName(String(result.error));
  }
  const output = (result.output ?? {}) as Partial<RunPlan> & { summary?: RunSummary };
  if (input.dryRun) {
    printPlan(output as RunPlan, out);
    return EXIT.ok;
  }
  const summary = output.summary;
  out('');
  out(
    `Run ${summary?.runId ?? '?'} ${summary?.status ?? result.status} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary?.tablesSucceeded ?? 0} of ${summary?.tablesTotal ?? 0} tables succeeded, ${summary?.tablesFailed ?? 0} failed, ${(summary?.rows ?? 0).toLocaleString('en-US')} rows moved.`,
  );
  const checked = summary?.verification;
  if (checked)
    out(
      `Verified against the source: ${checked.whole} tables compared whole, ${checked.rolling} in rolling ranges, ${checked.skipped} not written since their last verification; ${checked.repairedRows.toLocaleString('en-US')} rows repaired.`,
    );
  for (const f of summary?.failed ?? []) out(`  FAILED ${f.table} in ${f.stage}: ${f.errorClass}`);
  return result.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

async function validatePlan(
  config: LoadedConfig,
  input: RunInput,
): Promise<{ code: number; message: string } | null> {
  const plan = createPlanHandler({
    config: async () => config.pipeline,
    overrides: async () => config.tables,
    logger: silentLogger,
  });
  try {
    await plan({ ...input, dryRun: true });
    return null;
  } catch (error) {
    return { code: exitCodeFor(error), message: describeError(error) };
  }
}

/** `; compared 500,000 rows a night, whole every 10 nights` for a table over the size threshold. */
function rollingNote(t: PlannedTable): string {
  if (t.compareRows === 0) return '';
  const nights = staleBoundNights(t.estimatedRows ?? 0, t.compareRows);
  return `; compared ${t.compareRows.toLocaleString('en-US')} rows a night, whole every ${nights} nights`;
}

export function printPlan(plan: RunPlan, out: (line: string) => void): void {
  const groups = plan.tables.filter(isGroup);
  out(
    `Plan ${plan.runId} (dry run: nothing is written), ${tablesOfItems(plan.tables).length} tables in ${plan.tables.length} Map items (${groups.length} groups of tiny tables), parallel ${plan.parallel}`,
  );
  out(
    `${'priority'.padEnd(9)}${'table'.padEnd(28)}${'est. rows'.padStart(11)}  ${'runner'.padEnd(8)}${'mode'.padEnd(12)}strategy`,
  );
  const line = (t: PlannedTable, indent: string) =>
    out(
      `${indent}${String(t.priority ?? '').padEnd(9 - indent.length)}${t.table.padEnd(28)}${(t.estimatedRows ?? 0).toLocaleString('en-US').padStart(11)}  ${t.runner.padEnd(8)}${(t.mode === 'full' ? 'full (--force)' : 'incremental').padEnd(12)}${t.strategy} (${t.strategyReason})${rollingNote(t)}`,
    );
  for (const item of plan.tables) {
    if (!isGroup(item)) {
      line(item, '');
      continue;
    }
    const rows = item.tables.reduce((sum, t) => sum + (t.estimatedRows ?? 0), 0);
    out(
      `${item.group}: ${item.tables.length} tiny tables, ${rows.toLocaleString('en-US')} est. rows, one Lambda task per stage`,
    );
    for (const t of item.tables) line(t, '  ');
  }
}

/**
 * Locally the replica and analytics databases are created when missing (in AWS they are
 * provisioned). The source is never touched.
 */
export async function ensureDatabases(config: LoadedConfig): Promise<void> {
  const { replication, analytics } = config.pipeline.connections;
  const mysql = await openMysql(replication, {
    label: 'replication',
    readOnly: false,
    database: null,
  });
  try {
    await mysql.execute(
      `CREATE DATABASE IF NOT EXISTS ${quoteMysql(replication.database)} CHARACTER SET utf8mb4`,
    );
  } finally {
    await mysql.close();
  }
  const pg = await openPg(analytics, { label: 'analytics', database: 'postgres' });
  try {
    const existing = await pg.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      analytics.database,
    ]);
    if (existing.length === 0) await pg.query(`CREATE DATABASE ${quotePg(analytics.database)}`);
  } finally {
    await pg.close();
  }
}
