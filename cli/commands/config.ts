import { Command } from '@commander-js/extra-typings';
import { configFrom } from '../config-context';

export function configCommand(): Command {
  const config = new Command('config').description('check the configuration');
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
  return config;
}
