import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const TOP = ['contract', 'config', 'core', 'lambdas', 'ecs-tasks', 'infra', 'cli', 'test', 'bench'];
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`),
  'infra/README.md',
  'bench/README.md',
];

/** Every `path/like/this.ts` or `folder/` of the repository named in backticks in a document. */
function namedPaths(text: string): string[] {
  const paths = [...text.matchAll(/`([a-z-]+\/[A-Za-z0-9_./-]*)`/g)].map((m) => m[1] as string);
  return paths.filter((p) => TOP.includes(p.split('/')[0] as string) && /(\.\w+|\/)$/.test(p));
}

describe('docs name files that exist (docs that cannot rot)', () => {
  it.each(DOCS)('%s', (doc) => {
    const missing = namedPaths(readFileSync(join(ROOT, doc), 'utf8')).filter(
      (path) => !existsSync(join(ROOT, path)),
    );
    expect(missing).toEqual([]);
  });

  it('the architecture page names the layers it documents', () => {
    const page = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    expect(namedPaths(page).length).toBeGreaterThan(10);
  });
});
