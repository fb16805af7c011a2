import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeVersion, DEFINITION_SOURCE_DIRS } from '../../infra/local/definition-cache';
import { ROOT_DIR } from '../../infra/root-dir';

const run = promisify(execFile);
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'etl-definition-loading-'));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The CLI in a child process reading the definition through the cache in `dir`. */
async function probe(
  dir: string,
): Promise<{ states: number; cdkModulesBeforeRead: number; cdkModules: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/definition-cache-probe.ts', dir],
    { cwd: ROOT_DIR, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  return JSON.parse(stdout);
}

describe('what a local run loads', () => {
  it('loads aws-cdk-lib on a cache miss only: the CLI and a hit never import it', async () => {
    const dir = join(scratch, 'cache');
    const miss = await probe(dir);
    expect(miss.cdkModulesBeforeRead).toBe(0);
    expect(miss.cdkModules).toBeGreaterThan(100); // the probe sees aws-cdk-lib when it is loaded
    const hit = await probe(dir);
    expect(hit).toEqual({ states: miss.states, cdkModulesBeforeRead: 0, cdkModules: 0 });
    expect(hit.states).toBeGreaterThan(3);
  });
});

describe('the code version', () => {
  /** A checkout with these files (path → text). */
  function checkout(name: string, files: Record<string, string>): string {
    const root = join(scratch, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    return root;
  }
  const base = {
    'package.json': '{ "version": "1.2.0" }',
    'infra/constructs/etl-state-machine.ts': 'export const TIMEOUT = 60;\n',
    'core/runtime/index.ts': 'export {};\n',
    'cli/main.ts': 'export {};\n',
  };

  it('changes with any file of the source directories and with the package version, only', () => {
    const version = codeVersion(checkout('base', base));
    expect(codeVersion(checkout('same', base))).toBe(version);
    const edited = {
      ...base,
      'infra/constructs/etl-state-machine.ts': 'export const TIMEOUT = 61;\n',
    };
    expect(codeVersion(checkout('edited', edited))).not.toBe(version);
    expect(codeVersion(checkout('added', { ...base, 'config/new.ts': 'export {};\n' }))).not.toBe(
      version,
    );
    expect(
      codeVersion(checkout('released', { ...base, 'package.json': '{ "version": "1.3.0" }' })),
    ).not.toBe(version);
    // cli/ does not build the definition.
    expect(codeVersion(checkout('cli', { ...base, 'cli/main.ts': 'export const x = 1;\n' }))).toBe(
      version,
    );
  });

  it('covers every module the definition is built from', async () => {
    const options = await extractDepcruiseOptions(join(ROOT_DIR, '.dependency-cruiser.cjs'));
    const { output } = await cruise(['infra/local/definition.ts'], {
      ...options,
      baseDir: ROOT_DIR,
      outputType: 'json',
    });
    const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
    const own = result.modules
      .filter((m) => !m.coreModule && !/(^|\/)node_modules\//.test(m.source))
      .map((m) => m.source);
    expect(own).toContain('infra/build-app.ts');
    expect(own).toContain('core/runtime/index.ts');
    const outside = own.filter(
      (source) => !DEFINITION_SOURCE_DIRS.some((d) => source.startsWith(`${d}/`)),
    );
    expect(outside).toEqual([]);
  });
});
