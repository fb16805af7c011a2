import { Command } from '@commander-js/extra-typings';
import { openMysql } from '../../core/db/mysql-adapter';
import { discoverSchema } from '../../core/discovery/discover-schema';
import { writeDiscoveryLog } from '../../core/pipeline/discovery-log';
import { planTables } from '../../core/pipeline/table-plan';
import { configFrom } from '../config-context';

export function discoverCommand(): Command {
  return new Command('discover')
    .description(
      'read the source schema (tables, columns, keys, change columns, sizes) and print the table plan; writes logs/schema_discovery_<timestamp>.log',
    )
    .option('-c, --config <path>', 'pipeline.yml to read')
    .option('--logs <dir>', 'directory for the discovery log', 'logs')
    .action(async (options) => {
      const config = configFrom(options);
      const source = config.pipeline.connections.source;
      const session = await openMysql(source, { label: 'source', readOnly: true });
      try {
        const discovery = await discoverSchema(session, source.database);
        const plans = planTables(discovery, config.pipeline, config.tables);
        const path = writeDiscoveryLog(options.logs, discovery, plans);
        console.log(
          `${'priority'.padEnd(9)}${'table'.padEnd(30)}${'rows'.padStart(11)}  ${'runner'.padEnd(8)}strategy`,
        );
        for (const p of plans) {
          console.log(
            `${String(p.priority).padEnd(9)}${p.table.padEnd(30)}${p.estimatedRows.toLocaleString('en-US').padStart(11)}  ${p.runner.padEnd(8)}${p.strategy} (${p.strategyReason})`,
          );
        }
        console.log(
          `${discovery.tables.length} tables discovered in ${source.database}; log: ${path}`,
        );
      } finally {
        await session.close();
      }
    });
}
