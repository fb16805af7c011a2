import { writeFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { openPg } from '../../core/db/pg-adapter';
import { dbtSources } from '../../core/transform/dbt-sources';
import { configFrom } from '../config-context';

export function dbtSourcesCommand(): Command {
  return new Command('dbt-sources')
    .description(
      'write a dbt sources.yml for the public schema: every table and column with its description, freshness on _etl_loaded_at',
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--source-name <name>', 'name of the dbt source', 'opendental')
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const { pipeline } = configFrom(options);
      const analytics = pipeline.connections.analytics;
      const pg = await openPg(analytics, { label: 'analytics' });
      try {
        const yaml = await dbtSources(pg, analytics.schemas.public, {
          sourceName: options.sourceName,
        });
        if (options.output) {
          writeFileSync(options.output, yaml);
          console.error(`wrote ${options.output}`);
        } else {
          process.stdout.write(yaml);
        }
      } finally {
        await pg.close();
      }
    });
}
