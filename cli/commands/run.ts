import { Command, Option } from '@commander-js/extra-typings';
import { ConfigError } from '../../contract/errors';
import { rejectParallelAboveLimit } from '../../core/pipeline/plan-run';
import {
  assertImageExists,
  containerTask,
  DEFAULT_STAGE_IMAGE,
} from '../../infra/local/container-task';
import { startAwsRun } from '../aws-target';
import { configFrom } from '../config-context';
import { EXIT } from '../exit-codes';
import { runLocalPipeline } from '../local-run';
import { parseInteger } from './demo';

export function runCommand(): Command {
  return new Command('run')
    .description(
      'run the pipeline: extract, load and transform the selected tables (all by default)',
    )
    .option('-c, --config <path>', 'pipeline.yml to read')
    .option('--tables <names...>', 'only these tables, e.g. --tables patient appointment')
    .option('--force', 'full refresh of the selected tables', false)
    .option(
      '--parallel <n>',
      'tables at once (default: general.parallel_jobs; at most general.max_parallel_jobs)',
      parseInteger,
    )
    .option('--dry-run', 'print the plan per table and write nothing anywhere', false)
    .option('--reconcile', 'also checksum-reconcile timestamp and append tables this time', false)
    .addOption(
      new Option('--target <target>', 'where the state machine runs')
        .choices(['local', 'aws'] as const)
        .default('local'),
    )
    .option('--wait', 'with --target aws: follow the execution to its end', false)
    .addOption(
      new Option('--fargate-runner <runner>', 'locally, how Fargate tables run')
        .choices(['process', 'container'] as const)
        .default('process'),
    )
    .option(
      '--fargate-image <image>',
      'with --fargate-runner container: the stage image to run',
      DEFAULT_STAGE_IMAGE,
    )
    .action(async (options) => {
      const config = configFrom(options);
      const input = {
        tables: options.tables,
        force: options.force || undefined,
        parallel: options.parallel,
        dryRun: options.dryRun || undefined,
        reconcile: options.reconcile || undefined,
      };
      if (options.target === 'aws') {
        // The deployed Plan would refuse it too: refuse before starting an execution.
        rejectParallelAboveLimit(config.pipeline, input);
        if (options.fargateRunner !== 'process')
          throw new ConfigError('--fargate-runner goes with --target local');
        const { status } = await startAwsRun(config.pipeline, input, { wait: options.wait });
        process.exitCode = status === 'STARTED' || status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
        return;
      }
      if (options.wait)
        throw new ConfigError('--wait goes with --target aws (a local run always waits)');
      const inContainer = options.fargateRunner === 'container';
      // Checked before the run claims anything; a dry run starts no task.
      if (inContainer && !options.dryRun) await assertImageExists(options.fargateImage);
      process.exitCode = await runLocalPipeline(config, input, undefined, undefined, {
        fargateTask: inContainer ? containerTask(options.fargateImage) : undefined,
      });
    });
}
