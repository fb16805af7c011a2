import { Command, Option } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import type { PipelineConfig } from '../../config/schema';
import { configFrom } from '../config-context';

const SECTIONS = [
  'general',
  'stages',
  'monitoring',
  'connections',
  'alerts',
  'schedule',
  'runners',
  'aws',
  'transform',
] as const;

/** The configuration with every password replaced: safe to print, paste or log. */
export function maskSecrets(config: PipelineConfig): PipelineConfig {
  const masked = structuredClone(config);
  for (const connection of [
    masked.connections.source,
    masked.connections.replication,
    masked.connections.analytics,
  ]) {
    connection.password = connection.password ? '********' : '';
  }
  if (masked.alerts.smtp?.password) masked.alerts.smtp.password = '********';
  if (masked.alerts.slack_webhook_url) masked.alerts.slack_webhook_url = 'https://********';
  return masked;
}

export function configCommand(): Command {
  const config = new Command('config').description('check and show the configuration');
  config
    .command('validate')
    .description(
      'validate config/pipeline.yml and config/tables.yml; every problem is listed with file:line:col',
    )
    .option('-c, --config <path>', 'pipeline.yml to validate')
    .action((options) => {
      const loaded = configFrom(options);
      console.log(`configuration is valid: ${loaded.files.pipeline}, ${loaded.files.tables}`);
    });
  config
    .command('show')
    .description(
      'print the effective configuration (defaults and environment variables applied), passwords masked',
    )
    .addOption(new Option('--section <section>', 'only this section').choices(SECTIONS))
    .option('-c, --config <path>', 'pipeline.yml to read')
    .action((options) => {
      const loaded = configFrom(options);
      const masked = maskSecrets(loaded.pipeline);
      const shown = options.section
        ? { [options.section]: masked[options.section] }
        : { ...masked, tables: loaded.tables };
      process.stdout.write(stringify(shown));
    });
  return config;
}
