import { Command } from '@commander-js/extra-typings';
import { awsCommand } from './commands/aws';
import { configCommand } from './commands/config';
import { dbtSourcesCommand } from './commands/dbt-sources';
import { demoCommand } from './commands/demo';
import { discoverCommand } from './commands/discover';
import { runCommand } from './commands/run';
import { statusCommand } from './commands/status';
import { testConnectionsCommand } from './commands/test-connections';
import { verifyCommand } from './commands/verify';
import { describeError, EXIT, exitCodeFor } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('etl-pipeline')
    .enablePositionalOptions()
    .description('Nightly OpenDental → PostgreSQL analytics pipeline (extract, load, transform)');
  program.addCommand(runCommand());
  program.addCommand(statusCommand());
  program.addCommand(testConnectionsCommand());
  program.addCommand(verifyCommand());
  program.addCommand(demoCommand());
  program.addCommand(discoverCommand());
  program.addCommand(configCommand());
  program.addCommand(dbtSourcesCommand());
  program.addCommand(awsCommand());
  // Subcommands added with addCommand() do not inherit these: errors must reach main() as
  // exceptions (for exit code 2), never as a process.exit() deep inside commander.
  const everyCommand = (command: Command): Command[] => [
    command,
    ...command.commands.flatMap((c) => everyCommand(c as unknown as Command)),
  ];
  for (const command of everyCommand(program)) command.exitOverride().showHelpAfterError();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'commander.helpDisplayed' ||
      code === 'commander.help' ||
      code === 'commander.version'
    ) {
      return EXIT.ok;
    }
    if (typeof code === 'string' && code.startsWith('commander.')) return EXIT.usage;
    console.error(describeError(error));
    return exitCodeFor(error);
  }
}
