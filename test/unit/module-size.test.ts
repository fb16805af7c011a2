// Module size limits: a tracked .ts file is at most 300 lines, and a Lambda handler or ECS
// entrypoint (lambdas/, ecs-tasks/) is under 60: adapters stay thin, the work lives in core/.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 300;
const MAX_ADAPTER_LINES = 59;
const ADAPTERS = /^(lambdas|ecs-tasks)\//;
// Generated code and data are exempt. core/opendental/data/ holds the OpenDental reference data
// (.json/.sql today); any .ts placed there would be data too.
const EXEMPT = [/^core\/opendental\/data\//];

function trackedTypeScript(): { path: string; lines: number }[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--', '*.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\0')
    .filter((path) => path !== '' && !EXEMPT.some((pattern) => pattern.test(path)))
    .filter((path) => existsSync(join(ROOT, path))) // deleted in the work tree, not yet staged
    .map((path) => {
      const text = readFileSync(join(ROOT, path), 'utf8');
      const lines = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
      return { path, lines };
    });
}

function overLimit(files: { path: string; lines: number }[], limit: number): string[] {
  return files
    .filter((file) => file.lines > limit)
    .sort((a, b) => b.lines - a.lines)
    .map((file) => `${file.path}: ${file.lines} lines (limit ${limit})`);
}

describe('module size', () => {
  const files = trackedTypeScript();

  it('finds the tracked TypeScript files', () => {
    expect(files.some((file) => file.path === 'core/runtime/index.ts')).toBe(true);
  });

  it(`every tracked .ts file is at most ${MAX_LINES} lines`, () => {
    const offenders = overLimit(files, MAX_LINES);
    expect(offenders, `files over ${MAX_LINES} lines:\n${offenders.join('\n')}`).toEqual([]);
  });

  it(`every lambdas/ and ecs-tasks/ .ts file is under ${MAX_ADAPTER_LINES + 1} lines`, () => {
    const adapters = files.filter((file) => ADAPTERS.test(file.path));
    expect(adapters.length).toBeGreaterThan(0);
    const offenders = overLimit(adapters, MAX_ADAPTER_LINES);
    expect(offenders, `handlers/entrypoints too long:\n${offenders.join('\n')}`).toEqual([]);
  });
});
