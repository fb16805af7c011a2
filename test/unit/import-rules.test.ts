// Proves the import rules in .dependency-cruiser.cjs: each rule reports a tiny fixture tree that
// breaks exactly that rule, a tree that keeps every rule reports nothing, and the repository itself
// (the same paths `npm run lint:imports` cruises) has no violations.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

type Files = Record<string, string>;
interface Found {
  rule: string;
  from: string;
  to: string;
}

let options: ICruiseOptions;
let scratch: string;
let fixtureCount = 0;

beforeAll(async () => {
  options = await extractDepcruiseOptions(CONFIG);
  scratch = mkdtempSync(join(tmpdir(), 'import-rules-'));
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function cruiseIn(baseDir: string, paths: string[]): Promise<Found[]> {
  const { output } = await cruise(paths, { ...options, baseDir, outputType: 'json' });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

/** Writes `files` into a fresh directory (with the repository's node_modules) and cruises it. */
async function cruiseFixture(files: Files): Promise<Found[]> {
  fixtureCount += 1;
  const dir = join(scratch, `fixture-${fixtureCount}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  // npm imports resolve the way they do in the repository.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'junction');
  const topLevel = [...new Set(Object.keys(files).map((path) => path.split('/')[0] as string))];
  return cruiseIn(dir, topLevel.sort());
}

/** Asserts every violation is `rule` and the expected from → to pairs are among them. */
function expectOnly(found: Found[], rule: string, pairs: [from: string, to: RegExp][]): void {
  expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
  expect(new Set(found.map((v) => v.rule))).toEqual(new Set([rule]));
  for (const [from, to] of pairs) {
    expect(found, `${from} → ${to}`).toContainEqual({ rule, from, to: expect.stringMatching(to) });
  }
}

const lines = (...source: string[]): string => `${source.join('\n')}\n`;
const EXPORT = lines('export const value = 1;');

describe('import rules (.dependency-cruiser.cjs)', () => {
  it('reports nothing for a tree that keeps every rule', async () => {
    const found = await cruiseFixture({
      'contract/stage.ts': lines("import { z } from 'zod';", "import 'node:crypto';"),
      'config/schema.ts': lines(
        "import '../contract/stage';",
        "import 'yaml';",
        "import 'node:fs';",
        'export type Schema = string;',
      ),
      'core/db/pool.ts': lines(
        "import type { Schema } from '../../config/schema';",
        'export type Pool = Schema;',
      ),
      'core/extract/run.ts': lines("import './strategies/full';", "import '../db/pool';"),
      'core/extract/strategies/full.ts': EXPORT,
      'core/load/run.ts': lines("import '../db/pool';", "import '../../contract/stage';"),
      'core/transform/run.ts': lines("import '../db/pool';"),
      'core/pipeline/stages.ts': lines(
        "import '../extract/run';",
        "import '../load/run';",
        "import '../transform/run';",
      ),
      'core/runtime/index.ts': lines("export * from '../pipeline/stages';"),
      'core/runtime/handlers.ts': lines("import '../pipeline/stages';"),
      'infra/stack.ts': lines(
        "import 'aws-cdk-lib';",
        "import type { Construct } from 'constructs';",
        "import '../core/runtime';",
        "import '../core/runtime/handlers';",
        "import '../contract/stage';",
        "import '../config/schema';",
        'export type C = Construct;',
      ),
      'lambdas/aws/plan.ts': lines(
        "import '@aws-sdk/client-sfn';",
        "import type { SNSEvent } from 'aws-lambda';",
        "import '../../core/runtime/index';",
        "import '../../config/schema';",
        'export type S = SNSEvent;',
      ),
      'ecs-tasks/main.ts': lines(
        "import '@aws-lambda-powertools/logger';",
        "import '../core/runtime';",
      ),
      'cli/main.ts': lines("import '../core/pipeline/stages';", "import '../infra/stack';"),
      'test/unit/a.test.ts': lines(
        "import '../../core/extract/run';",
        "import '../../lambdas/aws/plan';",
      ),
    });
    expect(found).toEqual([]);
  });

  describe('no-cross-stage-imports', () => {
    const stages = ['extract', 'load', 'transform'];
    const pairs = stages.flatMap((from) =>
      stages.filter((to) => to !== from).map((to) => [from, to]),
    );
    it.each(pairs)('core/%s → core/%s', async (from, to) => {
      const found = await cruiseFixture({
        [`core/${from}/a.ts`]: `import { value } from '../${to}/b';\nexport const a = value;\n`,
        [`core/${to}/b.ts`]: EXPORT,
      });
      expectOnly(found, 'no-cross-stage-imports', [[`core/${from}/a.ts`, /^core\/.+\/b\.ts$/]]);
    });

    it('counts a type-only import from a nested folder', async () => {
      const found = await cruiseFixture({
        'core/extract/strategies/a.ts':
          "import type { T } from '../../load/b';\nexport type A = T;\n",
        'core/load/b.ts': 'export type T = string;\n',
      });
      expectOnly(found, 'no-cross-stage-imports', [
        ['core/extract/strategies/a.ts', /^core\/load\/b\.ts$/],
      ]);
    });
  });

  it.each(['infra', 'lambdas', 'ecs-tasks', 'cli', 'test', 'bench'])(
    'core-not-to-adapters: core/ → %s/',
    async (folder) => {
      const found = await cruiseFixture({
        'core/db/a.ts': `import '../../${folder}/x';\n`,
        [`${folder}/x.ts`]: EXPORT,
      });
      expectOnly(found, 'core-not-to-adapters', [
        ['core/db/a.ts', new RegExp(`^${folder}/x\\.ts$`)],
      ]);
    },
  );

  it.each([
    ['@aws-sdk/client-sfn', "import '@aws-sdk/client-sfn';"],
    ['@aws-lambda-powertools/logger', "import '@aws-lambda-powertools/logger';"],
    ['aws-cdk-lib', "import { App } from 'aws-cdk-lib';\nexport const a = App;"],
    ['constructs', "import type { Construct } from 'constructs';\nexport type C = Construct;"],
    ['@types/aws-lambda', "import type { SNSEvent } from 'aws-lambda';\nexport type E = SNSEvent;"],
  ])('core-not-to-aws: core/ → %s', async (resolvedTo, source) => {
    const found = await cruiseFixture({ 'core/alerts/a.ts': `${source}\n` });
    expectOnly(found, 'core-not-to-aws', [
      ['core/alerts/a.ts', new RegExp(`node_modules/${resolvedTo}/`)],
    ]);
  });

  it('infra-only-via-runtime: infra/ → core/ outside core/runtime/', async () => {
    const found = await cruiseFixture({
      'infra/constructs/a.ts': "import '../../core/db/b';\nimport '../../core/runtime';\n",
      'core/db/b.ts': EXPORT,
      'core/runtime/index.ts': EXPORT,
    });
    expectOnly(found, 'infra-only-via-runtime', [['infra/constructs/a.ts', /^core\/db\/b\.ts$/]]);
  });

  it('adapters-only-via-runtime: lambdas/, ecs-tasks/ → core/ outside core/runtime/', async () => {
    const found = await cruiseFixture({
      'lambdas/aws/a.ts': "import '../../core/pipeline/b';\nimport '../../core/runtime';\n",
      'ecs-tasks/main.ts': "import type { T } from '../core/extract/c';\nexport type M = T;\n",
      'core/pipeline/b.ts': EXPORT,
      'core/extract/c.ts': 'export type T = number;\n',
      'core/runtime/index.ts': EXPORT,
    });
    expectOnly(found, 'adapters-only-via-runtime', [
      ['lambdas/aws/a.ts', /^core\/pipeline\/b\.ts$/],
      ['ecs-tasks/main.ts', /^core\/extract\/c\.ts$/],
    ]);
  });

  it.each(['core/runtime', 'infra', 'lambdas', 'ecs-tasks', 'cli', 'test'])(
    'config-only-to-contract: config/ → %s/',
    async (folder) => {
      const found = await cruiseFixture({
        'config/a.ts': `import '../${folder}/x';\n`,
        [`${folder}/x.ts`]: EXPORT,
      });
      expectOnly(found, 'config-only-to-contract', [
        ['config/a.ts', new RegExp(`^${folder}/x\\.ts$`)],
      ]);
    },
  );

  it('contract-self-contained: contract/ → another folder, an npm package but zod', async () => {
    const found = await cruiseFixture({
      'contract/a.ts': "import '../config/b';\nimport 'yaml';\nimport 'zod';\n",
      'config/b.ts': EXPORT,
    });
    expectOnly(found, 'contract-self-contained', [
      ['contract/a.ts', /^config\/b\.ts$/],
      ['contract/a.ts', /node_modules\/yaml\//],
    ]);
  });

  it.each(['lambdas', 'ecs-tasks'])('cli-not-to-adapters: cli/ → %s/', async (folder) => {
    const found = await cruiseFixture({
      'cli/commands/a.ts': `import '../../${folder}/x';\n`,
      [`${folder}/x.ts`]: EXPORT,
    });
    expectOnly(found, 'cli-not-to-adapters', [
      ['cli/commands/a.ts', new RegExp(`^${folder}/x\\.ts$`)],
    ]);
  });

  it('no-circular: a cycle that only a type-only import closes', async () => {
    const found = await cruiseFixture({
      'core/db/a.ts': "import { b } from './b';\nexport const a = b;\nexport type A = string;\n",
      'core/db/b.ts': "import type { A } from './a';\nexport const b: A = 'b';\n",
    });
    // One cycle, reported once, from whichever of its modules the cruise met first.
    expectOnly(found, 'no-circular', []);
    expect(found.map((v) => [v.from, v.to].sort())).toEqual([['core/db/a.ts', 'core/db/b.ts']]);
  });

  it('not-to-unresolvable: an import that does not resolve', async () => {
    const found = await cruiseFixture({ 'core/db/a.ts': "import '../load/missing';\n" });
    expectOnly(found, 'not-to-unresolvable', [['core/db/a.ts', /^\.\.\/load\/missing$/]]);
  });

  it('the repository has no violations (the paths `npm run lint:imports` cruises)', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [command, ...args] = (pkg.scripts['lint:imports'] ?? '').split(/\s+/);
    expect(command).toBe('depcruise');
    const paths = args.filter((arg, i) => !arg.startsWith('-') && args[i - 1] !== '--config');
    expect(args).toContain('core');
    const found = await cruiseIn(ROOT, paths);
    expect(found.map((v) => `${v.from} → ${v.to} (${v.rule})`)).toEqual([]);
  });
});
