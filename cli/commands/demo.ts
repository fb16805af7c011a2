import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { openMysql } from '../../core/db/mysql-adapter';
import { SCALES } from '../../core/demo/scales';
import { verifyPipeline } from '../../core/pipeline/verify';
import { configFrom } from '../config-context';
import { runLocalPipeline } from '../local-run';

/**
 * The seeder and its generators (faker among them) are imported when a command seeds: every
 * command is registered at start-up, and a `run` has no use for them (some 25 MB of its peak RSS).
 */
const seeder = () => import('../../core/demo/seed-clinic');

export function demoCommand(): Command {
  const demo = new Command('demo')
    .description(
      'seed the demo clinic if absent, then run the whole pipeline on it locally and print the summary',
    )
    .enablePositionalOptions()
    .addOption(
      new Option('--scale <scale>', 'scale of the clinic seeded when absent')
        .choices(SCALES)
        .default('small'),
    )
    .option('--seed <n>', 'random seed for the demo clinic', parseInteger, 42)
    .option('--parallel <n>', 'tables at once (default: general.parallel_jobs)', parseInteger)
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const config = configFrom(options);
      const source = config.pipeline.connections.source;
      const session = await openMysql(source, {
        label: 'source',
        readOnly: false,
        localInfile: true,
        database: null,
      });
      try {
        const [existing] = await session.query<{ c: string }>(
          'SELECT SCHEMA_COMMENT AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
          [source.database],
        );
        if (!existing) {
          console.log(
            `Seeding the demo clinic into ${source.database} (scale ${options.scale}, seed ${options.seed})`,
          );
          const seeded = await (await seeder()).seedDemoClinic(session, {
            scale: options.scale,
            seed: options.seed,
            database: source.database,
          });
          console.log(
            `  ${seeded.totalRows.toLocaleString('en-US')} rows in ${seeded.tables.length} tables (${seeded.seconds.toFixed(1)} s)`,
          );
        } else {
          console.log(`Using the existing ${source.database}`);
        }
      } finally {
        await session.close();
      }
      process.exitCode = await runLocalPipeline(config, { parallel: options.parallel });
      if (process.exitCode !== 0) return;
      // And the answer to "is my warehouse right?" for the demo.
      const report = await verifyPipeline(config.pipeline);
      const differing = report.filter((r) => !r.ok).map((r) => r.table);
      console.log(
        `Verified: ${report.length - differing.length} of ${report.length} tables equal in source, replica, raw and public${differing.length ? `; differing: ${differing.join(', ')}` : ''}.`,
      );
      process.exitCode = differing.length === 0 ? 0 : 1;
    });
  demo
    .command('seed')
    .description(
      'create the demo clinic database (all 422 OpenDental 24.3 tables, MyISAM/utf8) and fill it with realistic, deterministic data',
    )
    .addOption(
      new Option('--scale <scale>', 'tiny (~10k rows), small (~300k rows) or clinic (~20M rows)')
        .choices(SCALES)
        .default('small'),
    )
    .option('--seed <n>', 'random seed: the same seed gives the same data', parseInteger, 42)
    .option('--database <name>', 'database to create (default: connections.source.database)')
    .option('--replace', 'replace the database even if the demo did not create it', false)
    .option('-c, --config <path>', 'pipeline.yml to read connections from')
    .action(async (options) => {
      const { pipeline } = configFrom(options);
      const database = options.database ?? pipeline.connections.source.database;
      const session = await openMysql(pipeline.connections.source, {
        label: 'source',
        readOnly: false,
        localInfile: true,
        database: null,
      });
      try {
        console.log(
          `Seeding demo clinic into ${database} (scale ${options.scale}, seed ${options.seed})`,
        );
        const result = await (await seeder()).seedDemoClinic(session, {
          scale: options.scale,
          seed: options.seed,
          database,
          replaceForeign: options.replace,
          onProgress: (event) => {
            if (event.kind === 'schema') console.log(`  created ${event.tables} tables`);
            if (event.kind === 'table-done') {
              const rate = event.seconds > 0 ? Math.round(event.rows / event.seconds) : event.rows;
              console.log(
                `  ${event.table.padEnd(28)} ${event.rows.toLocaleString('en-US').padStart(11)} rows  ${event.seconds.toFixed(1).padStart(6)} s  ${rate.toLocaleString('en-US').padStart(9)} rows/s`,
              );
            }
          },
        });
        console.log(
          `Done: ${result.tables.length} tables filled, ${result.totalRows.toLocaleString('en-US')} rows in ${result.seconds.toFixed(1)} s`,
        );
      } finally {
        await session.close();
      }
    });
  return demo;
}

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('must be an integer');
  return Number(value);
}
