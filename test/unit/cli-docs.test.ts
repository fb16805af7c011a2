import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main';

const docs = readFileSync(join(import.meta.dirname, '../../docs/cli.md'), 'utf8');

function commands(command: Command, prefix: string[] = []): { path: string; command: Command }[] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    const sub = c as unknown as Command;
    return [{ path: path.join(' '), command: sub }, ...commands(sub, path)];
  });
}

describe('docs/cli.md (docs that cannot rot)', () => {
  const all = commands(buildProgram() as unknown as Command).filter(
    ({ command }) => command.commands.length === 0 || command.description().length > 0,
  );

  it('has a section for every command, and every command has help text', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const { path, command } of all) {
      expect(command.description(), path).not.toBe('');
      if (command.commands.length > 0 && path !== 'demo') continue; // groups: their subcommands are documented
      expect(docs, path).toContain(`## etl-pipeline ${path}\n`);
    }
  });

  it('documents every option of every command', () => {
    for (const { path, command } of all) {
      const section = docs.split(`## etl-pipeline ${path}\n`)[1]?.split('\n## ')[0] ?? '';
      for (const option of command.options) {
        expect(section, `${path} ${option.long}`).toContain(
          `\`${option.flags.replace(/ <.*$/, '')}`,
        );
      }
    }
  });
});
