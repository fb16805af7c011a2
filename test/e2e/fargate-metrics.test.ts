import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStageEnvironment } from '../../contract/container-environment';
import {
  type PlannedTable,
  STAGE_NAMES,
  type StageName,
  type StageOutput,
  StageOutputSchema,
} from '../../contract/stage';
import { quoteMysql } from '../../core/db/identifiers';
import { seedDemoClinic } from '../../core/demo/seed-clinic';
import { memoryLogger } from '../../core/logging/logger';
import { createPlanHandler } from '../../core/runtime';
import { createPipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture';

/**
 * The Fargate task emits the stage metrics the Lambda stage emits: the real entrypoint
 * (`ecs-tasks/main.ts`), run as the local runner runs it, as a child process with the container
 * environment the stage codec makes of a real Plan item, writes one EMF line per stage on stdout
 * (which the awslogs driver ships to CloudWatch Logs, where the metrics are extracted).
 */
const TABLE = 'patient';
const RUN_ID = 'fm-1';
const ROOT = join(import.meta.dirname, '../..');
let fx: PipelineFixture;
let item: PlannedTable;
/** Every text value of the table's rows in the source: none may reach a metric. */
let rowTexts: string[];

beforeAll(async () => {
  fx = await createPipelineFixture('fm');
  await seedDemoClinic(fx.admin, {
    scale: 'tiny',
    seed: 71,
    database: fx.names.source,
    onlyTables: [TABLE],
  });
  const plan = await createPlanHandler({
    config: async () => fx.config,
    overrides: async () => ({}),
    logger: memoryLogger(),
    runner: 'local',
  })({ tables: [TABLE], runId: RUN_ID });
  item = plan.tables[0] as PlannedTable;
  const rows = await fx.admin.queryArrays(
    `SELECT LName, FName, SSN, Email, Address, City FROM ${quoteMysql(fx.names.source)}.${quoteMysql(TABLE)}`,
  );
  rowTexts = rows.flat().filter((v): v is string => typeof v === 'string' && v.length >= 4);
}, 600_000);

afterAll(async () => {
  await fx?.close();
});

/** One stage as a Fargate task: the entrypoint as a child process; its stdout as JSON lines. */
async function fargateTask(stage: StageName): Promise<{ lines: string[]; output: StageOutput }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'ecs-tasks/main.ts'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PIPELINE_CONFIG: JSON.stringify(fx.config),
        TABLES_CONFIG: '{}',
        ...encodeStageEnvironment({
          runId: RUN_ID,
          table: item.table,
          stage,
          mode: item.mode,
          strategy: item.strategy,
          reconcile: item.reconcile,
        }),
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const lines = stdout.trim().split('\n');
  // The outcome stays the last line: the local runner reads it there.
  const output = StageOutputSchema.parse(JSON.parse(lines.at(-1) ?? ''));
  return { lines, output };
}

describe('the Fargate task emits the stage metrics (EMF on stdout)', () => {
  it.each(STAGE_NAMES)(
    '%s: rows, bytes, duration and conversions, per table and stage',
    async (stage) => {
      const { lines, output } = await fargateTask(stage);
      const emfLines = lines.filter((l) => l.includes('"_aws"'));
      expect(emfLines).toHaveLength(1);
      const line = emfLines[0] as string;
      const emf = JSON.parse(line) as Record<string, unknown> & {
        _aws: { Timestamp: number; CloudWatchMetrics: unknown[] };
      };
      const conversions = Object.fromEntries(
        Object.entries(output.conversions).map(([kind, n]) => [`Conversions_${kind}`, n]),
      );
      expect(emf._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'OpenDentalEtl',
          Dimensions: [['service', 'table', 'stage']],
          Metrics: [
            { Name: 'Rows', Unit: 'Count' },
            { Name: 'Bytes', Unit: 'Bytes' },
            { Name: 'Duration', Unit: 'Milliseconds' },
            ...Object.keys(conversions).map((Name) => ({ Name, Unit: 'Count' })),
          ],
        },
      ]);
      // Exactly these members: dimensions and counts, so no room for a row value.
      expect(emf).toEqual({
        _aws: { Timestamp: expect.any(Number), CloudWatchMetrics: expect.any(Array) },
        service: 'etl-stage',
        table: TABLE,
        stage,
        Rows: output.rows,
        Bytes: output.bytes,
        Duration: output.durationMs,
        ...conversions,
      });
      const [[count]] = (await fx.admin.queryArrays(
        `SELECT COUNT(*) FROM ${quoteMysql(fx.names.source)}.${quoteMysql(TABLE)}`,
      )) as [[number]];
      expect(Number(count)).toBeGreaterThan(0);
      expect(emf.Rows).toBe(Number(count));
      // The load counts its conversions (zero dates, NUL bytes): those metrics are there too.
      expect(Object.keys(conversions).length > 0).toBe(stage === 'load');
      expect(rowTexts.length).toBeGreaterThan(0);
      expect(rowTexts.filter((text) => line.includes(text))).toEqual([]);
    },
  );
});
