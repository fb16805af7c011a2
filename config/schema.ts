import { z } from 'zod';
import { RunnerSchema, StrategySchema } from '../contract/stage';
import { AwsSchema } from './aws-schema';
import { ConnectionsSchema } from './connection-schema';
import { managedDatabaseConflicts } from './databases-schema';
import { pinnedEnvironment, secretsOutsideEnvironment } from './environment';
import { bool, identifier, int } from './schema-primitives';
import { secret } from './secret-fields';

/**
 * The zod schemas of `config/pipeline.yml` and `config/tables.yml`. Every object is strict
 * (unknown keys are errors, with a "did you mean" hint from the loader) and every key has a
 * default, so an empty file is a working local configuration.
 *
 * Values that came from `${VAR}` interpolation are strings; `int`/`bool` accept their string
 * forms so that `port: ${DB_PORT:-3306}` validates as a number.
 *
 * Every credential is declared with `secret(…)` (config/secret-fields.ts): the configuration
 * put into the AWS template and runtime environments is stripped of all of them.
 */

const stage = (timeoutMinutes: number) =>
  z.strictObject({ timeout_minutes: int(1, 24 * 60).default(timeoutMinutes) });

/**
 * The nightly comparison of replica and source (`stages.extract.verification`): tables the source
 * wrote since their last verification are compared, the small ones whole, the large ones in
 * rolling key ranges within a nightly budget.
 */
const VERIFICATION_DEFAULTS = {
  budget_seconds: 20,
  full_compare_max_rows: 200_000,
  compare_rows_per_second: 50_000,
  clock_tolerance_seconds: 60,
};
const VerificationSchema = z.strictObject({
  /**
   * Seconds of comparison a night gives the tables over `full_compare_max_rows`, shared by size:
   * each is covered whole every ⌈their rows / (budget × rate)⌉ nights.
   */
  budget_seconds: int(0, 24 * 3600).default(VERIFICATION_DEFAULTS.budget_seconds),
  /** Tables with at most this many rows are compared whole on every night they changed. */
  full_compare_max_rows: int(0, 2_000_000_000).default(VERIFICATION_DEFAULTS.full_compare_max_rows),
  /** Rows per second the comparison covers (both servers): turns the budget into rows. */
  compare_rows_per_second: int(1, 100_000_000).default(
    VERIFICATION_DEFAULTS.compare_rows_per_second,
  ),
  /**
   * How far the source clock may drift from the replica's between runs before it counts as
   * stepped back; also the margin kept around `UPDATE_TIME` (1-second granularity).
   */
  clock_tolerance_seconds: int(1, 86_400).default(VERIFICATION_DEFAULTS.clock_tolerance_seconds),
});
export type VerificationSettings = z.infer<typeof VerificationSchema>;

/**
 * Group sizes. A group's stage task runs its tables one after another in one Lambda invocation,
 * which Lambda stops at 900 s (its task state at 870 s). The slowest stage measured is the extract
 * of a wide table at ~11,000 rows/s (docs/benchmarks.md), and a tiny table's stage costs ~0.1 s
 * fixed locally; allow 1 s fixed per table in Lambda and half the measured throughput (5,000
 * rows/s). A full group then takes at most 50 tables × 1 s + 50,000 rows / 5,000 rows/s = 60 s,
 * plus in-process retries (at most 2 per table, 1 s + 2 s: 50 × 3 s = 150 s if every table
 * retried twice) = 210 s: a quarter of the limit. The real clinic's 355 tables of at most 5,000
 * rows hold 48,293 rows in all.
 */
export const GROUP_DEFAULTS = {
  group_max_rows: 5_000,
  group_max_tables: 50,
  group_max_total_rows: 50_000,
} as const;

const PipelineFields = z.strictObject({
  general: z
    .strictObject({
      batch_size: int(1, 1_000_000).default(5000),
      parallel_jobs: int(1, 40).default(2),
      /**
       * The most tables at once a run may ask for (`--parallel`, the execution input's
       * `parallel`): what the deployment is sized for (Lambda concurrency, Fargate vCPUs, the
       * clinic server's connections). Default: `parallel_jobs`.
       */
      max_parallel_jobs: int(1, 40).optional(),
      max_retries: int(0, 10).default(3),
      retry_delay_seconds: int(0, 3600).default(300),
    })
    .refine((g) => g.max_parallel_jobs === undefined || g.parallel_jobs <= g.max_parallel_jobs, {
      path: ['parallel_jobs'],
      message: 'must not be above general.max_parallel_jobs',
    })
    .transform((g) => ({ ...g, max_parallel_jobs: g.max_parallel_jobs ?? g.parallel_jobs }))
    .default({
      batch_size: 5000,
      parallel_jobs: 2,
      max_parallel_jobs: 2,
      max_retries: 3,
      retry_delay_seconds: 300,
    }),
  stages: z
    .strictObject({
      extract: stage(30)
        .extend({
          /** Rows changed this long before the stored watermark are read again (clock skew). */
          overlap_minutes: int(0, 24 * 60).default(5),
          /**
           * Whole-table comparison at least every this many runs even for tables over
           * `verification.full_compare_max_rows` (0: never forced; the rolling comparison covers
           * them within their staleness bound).
           */
          reconcile_every_runs: int(0, 1000).default(0),
          verification: VerificationSchema.default(VERIFICATION_DEFAULTS),
        })
        .default({
          timeout_minutes: 30,
          overlap_minutes: 5,
          reconcile_every_runs: 0,
          verification: VERIFICATION_DEFAULTS,
        }),
      load: stage(45).default({ timeout_minutes: 45 }),
      transform: stage(60).default({ timeout_minutes: 60 }),
    })
    .default({
      extract: {
        timeout_minutes: 30,
        overlap_minutes: 5,
        reconcile_every_runs: 0,
        verification: VERIFICATION_DEFAULTS,
      },
      load: { timeout_minutes: 45 },
      transform: { timeout_minutes: 60 },
    }),
  monitoring: z
    .strictObject({
      metrics: z
        .strictObject({
          collection_interval: int(1, 86_400).default(300),
          retention_days: int(1, 3653).default(30),
        })
        .default({ collection_interval: 300, retention_days: 30 }),
    })
    .default({ metrics: { collection_interval: 300, retention_days: 30 } }),
  connections: ConnectionsSchema.default(ConnectionsSchema.parse({})),
  alerts: z
    .strictObject({
      email: z.array(z.email()).default([]),
      /** Secrets Manager secret whose value is the Slack incoming-webhook URL (AWS). */
      slack_webhook_secret_id: z.string().optional(),
      /** Local runs: a Slack incoming-webhook URL, e.g. from ${SLACK_WEBHOOK_URL}. */
      slack_webhook_url: secret(z.url()).optional(),
      /** Local runs: e-mail through an SMTP server to `email` addresses. */
      smtp: z
        .strictObject({
          host: z.string().min(1),
          port: int(1, 65535).default(587),
          secure: bool().default(false),
          user: z.string().optional(),
          password: secret(z.string()).optional(),
          from: z.email(),
        })
        .optional(),
    })
    .default({ email: [] }),
  schedule: z
    .strictObject({
      /** EventBridge Scheduler cron fields: minutes hours day-of-month month day-of-week year. */
      cron: z
        .string()
        .regex(/^\S+( \S+){5}$/, 'must have six fields, e.g. "0 1 * * ? *"')
        .default('0 1 * * ? *'),
      timezone: z
        .string()
        .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
        .default('America/New_York'),
      enabled: bool().default(true),
    })
    .default({ cron: '0 1 * * ? *', timezone: 'America/New_York', enabled: true }),
  aws: pinnedEnvironment(AwsSchema),
  transform: z
    .strictObject({
      /** Public names for particular columns: table → MySQL column name → public name. */
      column_names: z.record(identifier(), z.record(z.string(), identifier())).default({}),
    })
    .default({ column_names: {} }),
  runners: z
    .strictObject({
      /** A table with at least this many estimated rows runs on Fargate. */
      fargate_min_rows: int(0).default(500_000),
      /** A table with at least this many bytes (data + indexes) runs on Fargate. */
      fargate_min_bytes: int(0).default(256 * 1024 * 1024),
      /**
       * A Lambda table of at most this many estimated rows (not a core table) runs in a group: one
       * Map item and one task per stage for many tiny tables, instead of three tasks each.
       */
      group_max_rows: int(0).default(GROUP_DEFAULTS.group_max_rows),
      /** Tables per group at most; 1 turns grouping off. */
      group_max_tables: int(1).default(GROUP_DEFAULTS.group_max_tables),
      /** Estimated rows per group at most (the sum of its tables'). */
      group_max_total_rows: int(1).default(GROUP_DEFAULTS.group_max_total_rows),
    })
    .default({
      fargate_min_rows: 500_000,
      fargate_min_bytes: 256 * 1024 * 1024,
      ...GROUP_DEFAULTS,
    }),
});

/**
 * pipeline.yml; an environment's file names only that environment's secrets (config/environment.ts),
 * and a database the stack provisions takes no secret_id of its own (config/databases-schema.ts).
 */
export const PipelineConfigSchema = PipelineFields.superRefine((config, ctx) => {
  const named = [
    ...Object.entries(config.connections).flatMap(([name, c]) =>
      c.secret_id ? [{ path: ['connections', name, 'secret_id'], secretId: c.secret_id }] : [],
    ),
    ...(config.alerts.slack_webhook_secret_id
      ? [
          {
            path: ['alerts', 'slack_webhook_secret_id'],
            secretId: config.alerts.slack_webhook_secret_id,
          },
        ]
      : []),
  ];
  for (const issue of secretsOutsideEnvironment(config.aws.environment, named))
    ctx.addIssue({ code: 'custom', ...issue });
  for (const { path, message } of managedDatabaseConflicts(config))
    ctx.addIssue({ code: 'custom', path, message });
});

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type ConnectionConfig = PipelineConfig['connections']['source'];
export type AnalyticsConnectionConfig = PipelineConfig['connections']['analytics'];

export const TableOverrideSchema = z.strictObject({
  priority: int(0, 1_000_000).optional(),
  strategy: StrategySchema.optional(),
  change_column: identifier().optional(),
  batch_size: int(1, 1_000_000).optional(),
  runner: RunnerSchema.optional(),
  exclude: bool().optional(),
});
export type TableOverride = z.infer<typeof TableOverrideSchema>;

export const TablesConfigSchema = z.strictObject({
  tables: z
    .record(
      identifier(),
      TableOverrideSchema.nullable().transform((v) => v ?? {}),
    )
    .default({}),
});
export type TablesConfig = z.infer<typeof TablesConfigSchema>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
