import { Command, Option } from '@commander-js/extra-typings';
import Table from 'cli-table3';
import { verifyPipeline } from '../../core/pipeline/verify';
import { configFrom } from '../config-context';
import { EXIT } from '../exit-codes';

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'reconcile source, replica, raw and public per table: row counts, and checksums of source vs replica; exits 1 on any difference',
    )
    .option('--tables <names...>', 'only these tables')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json'] as const)
        .default('table'),
    )
    .option('--all', 'list every table, not only those that differ', false)
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action(async (options) => {
      const { pipeline } = configFrom(options);
      const report = await verifyPipeline(pipeline, options.tables);
      const differing = report.filter((r) => !r.ok);
      if (options.format === 'json') {
        console.log(JSON.stringify(report, null, 2));
      } else {
        const style = process.stdout.isTTY ? {} : { style: { head: [], border: [] } };
        const table = new Table({
          head: [
            'table',
            'source',
            'replica',
            'raw',
            'public',
            'checksum',
            'ok',
            'fully verified',
            'bound (nights)',
          ],
          ...style,
        });
        const n = (v: number | null) => (v === null ? 'missing' : v.toLocaleString('en-US'));
        for (const r of options.all ? report : differing) {
          table.push([
            r.table,
            n(r.source),
            n(r.replica),
            n(r.raw),
            n(r.public),
            r.checksum,
            r.ok ? 'ok' : 'DIFFERS',
            r.lastFullyVerified ?? 'never',
            r.staleBoundNights ?? '',
          ]);
        }
        if (options.all || differing.length > 0) console.log(table.toString());
        console.log(
          `${report.length - differing.length} of ${report.length} tables verified equal; ${differing.length} differ.`,
        );
      }
      process.exitCode = differing.length === 0 ? EXIT.ok : EXIT.failed;
    });
}
