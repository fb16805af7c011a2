import { z } from 'zod';

/**
 * The stage contract: the one definition of what the state machine, the local runner, the Lambda
 * handler, the Fargate entrypoint, the configuration and the run history exchange. Everything else
 * derives its types and enums from here; the container codec (`container-environment.ts`) carries
 * a stage input into a container's environment and back.
 */

/** A plain SQL identifier: table names, schema names, the keys of tables.yml. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const StageNameSchema = z.enum(['extract', 'load', 'transform']);
export type StageName = z.infer<typeof StageNameSchema>;
/** In the order a table runs them. */
export const STAGE_NAMES = StageNameSchema.options;

/**
 * How the extract finds what changed. Each name has one implementation registered in
 * `core/extract/strategies/` (the registry is typed by this enum, so neither can miss the other).
 */
export const StrategySchema = z.enum(['timestamp', 'append', 'reconcile', 'full']);
export type Strategy = z.infer<typeof StrategySchema>;

/** Where a table's stages run: Lambda (small tables) or a Fargate task (large ones). */
export const RunnerSchema = z.enum(['lambda', 'fargate']);
export type Runner = z.infer<typeof RunnerSchema>;

/** `full` (what `--force` means) rebuilds the stage's target anew. */
export const ModeSchema = z.enum(['incremental', 'full']);
export type Mode = z.infer<typeof ModeSchema>;

export const RunIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/);

/** Input of one stage task: the Lambda payload, or the Fargate container's environment. */
export const StageInputSchema = z.strictObject({
  runId: RunIdSchema,
  table: z.string().regex(IDENTIFIER),
  stage: StageNameSchema,
  mode: ModeSchema.default('incremental'),
  strategy: StrategySchema.optional(),
  /** Also run the full comparison this time (`run --reconcile`). */
  reconcile: z.boolean().optional(),
  /**
   * Rows of this table's rolling comparison tonight, when the table is over the size threshold
   * of a full nightly comparison (its share of the verification budget); 0: the whole table.
   */
  compareRows: z.number().int().min(0).optional(),
});
export type StageInput = z.infer<typeof StageInputSchema>;

/** What a stage task returns: small JSON (counts only, never a value). */
export const StageOutputSchema = z.strictObject({
  table: z.string(),
  stage: StageNameSchema,
  status: z.literal('succeeded'),
  rows: z.number().int().min(0),
  durationMs: z.number().min(0),
  /** Bytes moved (extract and load). */
  bytes: z.number().min(0),
  /** Load conversions per kind (zero dates to NULL, NUL bytes removed). */
  conversions: z.record(z.string(), z.number()),
});
export type StageOutput = z.infer<typeof StageOutputSchema>;

/** Execution input of the state machine (and of `etl-pipeline run`). */
export const RunInputSchema = z.strictObject({
  tables: z.array(z.string()).optional(),
  force: z.boolean().optional(),
  parallel: z.number().int().min(1).max(40).optional(),
  dryRun: z.boolean().optional(),
  reconcile: z.boolean().optional(),
  runId: RunIdSchema.optional(),
});
export type RunInput = z.infer<typeof RunInputSchema>;

/**
 * One item of the Map: a table with everything its stage tasks are started with. The items of a
 * run stay small (the Plan's output must fit Step Functions' 256 KB with 2,000 items); a dry run's
 * plan, which nothing runs, also says why (priority, strategy reason, estimated rows).
 */
export const PlannedTableSchema = z.strictObject({
  table: z.string().regex(IDENTIFIER),
  runner: RunnerSchema,
  strategy: StrategySchema,
  mode: ModeSchema,
  reconcile: z.boolean(),
  /** Rows of the rolling comparison tonight (0: the whole table); see StageInput. */
  compareRows: z.number().int().min(0),
  /** Dry runs only: lower runs first. */
  priority: z.number().int().optional(),
  /** Dry runs only: why this strategy. */
  strategyReason: z.string().optional(),
  /** Dry runs only. */
  estimatedRows: z.number().min(0).optional(),
});
export type PlannedTable = z.infer<typeof PlannedTableSchema>;

/** A group's name: `group-01`, `group-02`, … in plan order. */
export const GroupNameSchema = z.string().regex(/^group-\d{2,}$/);

/**
 * A Map item of many tiny Lambda tables (`runners.group_max_*`): one task per stage runs them all,
 * one after another, each with its own stage results, retries, failure and alert. Its tables are
 * planned tables as a single item would carry them.
 */
export const PlannedGroupSchema = z.strictObject({
  group: GroupNameSchema,
  runner: z.literal('lambda'),
  tables: z.array(PlannedTableSchema).min(1),
});
export type PlannedGroup = z.infer<typeof PlannedGroupSchema>;

/** One item of the Map: a table alone, or a group of tiny tables. */
export const PlanItemSchema = z.union([PlannedTableSchema, PlannedGroupSchema]);
export type PlanItem = z.infer<typeof PlanItemSchema>;

export function isGroup(item: PlanItem): item is PlannedGroup {
  return 'group' in item;
}

/** The tables of plan items, in item order (a group's in its own order). */
export function tablesOfItems(items: readonly PlanItem[]): PlannedTable[] {
  return items.flatMap((item) => (isGroup(item) ? item.tables : [item]));
}

/**
 * The Plan step's output: the Map runs the items of `tables` (tables alone and groups) with at
 * most `parallel` at once.
 */
export const RunPlanSchema = z.strictObject({
  runId: RunIdSchema,
  parallel: z.number().int().min(1),
  dryRun: z.boolean(),
  tables: z.array(PlanItemSchema),
});
export type RunPlan = z.infer<typeof RunPlanSchema>;

/** A table of a group that failed at a stage, with its error class (never a message). */
export const TableFailureSchema = z.strictObject({
  status: z.literal('failed'),
  table: z.string().regex(IDENTIFIER),
  stage: StageNameSchema,
  error: z.string(),
});
export type TableFailure = z.infer<typeof TableFailureSchema>;

/**
 * Input of a group's stage task: the group's tables still going (those that failed an earlier
 * stage are left out) and the failures so far, which the task hands on with its own added.
 */
export const GroupStageInputSchema = z.strictObject({
  runId: RunIdSchema,
  group: GroupNameSchema,
  stage: StageNameSchema,
  tables: z.array(PlannedTableSchema),
  failed: z.array(TableFailureSchema).default([]),
});
export type GroupStageInput = z.infer<typeof GroupStageInputSchema>;

/**
 * What a group's stage task returns: the tables that succeeded the stage (the next stage's
 * `tables`), their names, the failures so far and each succeeded table's stage output (counts only).
 */
export const GroupStageOutputSchema = z.strictObject({
  group: GroupNameSchema,
  stage: StageNameSchema,
  tables: z.array(PlannedTableSchema),
  succeeded: z.array(z.string()),
  failed: z.array(TableFailureSchema),
  results: z.array(StageOutputSchema),
});
export type GroupStageOutput = z.infer<typeof GroupStageOutputSchema>;

/** What each Map iteration ends with: the table succeeded, or failed at a stage with an error class. */
export const TableOutcomeSchema = z.union([
  z.looseObject({ status: z.literal('succeeded'), table: z.string() }),
  z.looseObject({
    status: z.literal('failed'),
    table: z.string(),
    stage: z.string(),
    error: z.string().nullish(),
  }),
]);
export type TableOutcome = z.infer<typeof TableOutcomeSchema>;

/**
 * What a group's Map iteration ends with: the tables that went through every stage, those that
 * failed one (`failed`, from the group's tasks), and those its failed task took with it (`lost`:
 * the task itself failed after its retries, so each table it still held failed at that stage).
 */
export const GroupOutcomeSchema = z.looseObject({
  group: z.string(),
  succeeded: z.array(z.string()),
  failed: z.array(
    z.looseObject({ table: z.string(), stage: z.string(), error: z.string().nullish() }),
  ),
  lost: z.array(
    z.looseObject({ table: z.string(), stage: z.string(), error: z.string().nullish() }),
  ),
});
export type GroupOutcome = z.infer<typeof GroupOutcomeSchema>;

/** One outcome per table, whatever the items: a group's tables each count and are named. */
export function tableOutcomes(results: readonly (TableOutcome | GroupOutcome)[]): TableOutcome[] {
  return results.flatMap((r): TableOutcome[] => {
    if (!('group' in r)) return [r as TableOutcome];
    const group = r as GroupOutcome;
    return [
      ...group.succeeded.map((table) => ({ status: 'succeeded' as const, table })),
      ...[...group.failed, ...group.lost].map((f) => ({ ...f, status: 'failed' as const })),
    ];
  });
}

export const SummarizeInputSchema = z.object({
  runId: z.string(),
  results: z.array(z.union([TableOutcomeSchema, GroupOutcomeSchema])),
});

export const RunSummarySchema = z.strictObject({
  runId: z.string(),
  status: z.enum(['succeeded', 'failed']),
  tablesTotal: z.number().int(),
  tablesSucceeded: z.number().int(),
  tablesFailed: z.number().int(),
  failed: z.array(z.strictObject({ table: z.string(), stage: z.string(), errorClass: z.string() })),
  rows: z.number(),
  /**
   * How the night compared replica and source: tables compared whole, in a rolling slice, or not
   * at all (the source had not written them since they were verified), and rows repaired.
   */
  verification: z
    .strictObject({
      whole: z.number().int(),
      rolling: z.number().int(),
      skipped: z.number().int(),
      repairedRows: z.number().int(),
    })
    .optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** Who runs a run: the run lock frees a killed local run at once, an AWS one when its lease ends. */
export type RunnerKind = 'local' | 'aws';
