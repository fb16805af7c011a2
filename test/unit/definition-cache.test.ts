import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { type AslDefinition, synthesizeDefinition } from '../../infra/local/definition';
import { cachedDefinition, definitionCacheDir } from '../../infra/local/definition-cache';
import { loadConfigText } from '../helpers/config-files';

const CANARY = 'Canary-Definition-Cache-4471';

let scratch: string;
let config: LoadedConfig;
let fresh: AslDefinition;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'etl-definition-cache-'));
  config = loadConfig({ env: {} });
  fresh = synthesizeDefinition(config);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let cacheDirs = 0;
/** An empty cache directory of this test (created by the first write). */
function cacheDir(): string {
  cacheDirs += 1;
  return join(scratch, `cache-${cacheDirs}`);
}

/** A synthesize that records each miss and returns the stack's definition. */
function countingSynth(): {
  misses: LoadedConfig[];
  synthesize: (c: LoadedConfig) => AslDefinition;
} {
  const misses: LoadedConfig[] = [];
  return {
    misses,
    synthesize: (c) => {
      misses.push(c);
      return structuredClone(fresh);
    },
  };
}

const refuse = (): AslDefinition => {
  throw new Error('synthesized where the cache should have answered');
};

describe('the definition cache', () => {
  it('answers a second run with the very definition a synth gives, without synthesizing', async () => {
    const dir = cacheDir();
    expect(await cachedDefinition(config, { dir })).toEqual(fresh);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect(await cachedDefinition(config, { dir, synthesize: refuse })).toEqual(fresh);
  });

  it('misses when the configuration changes; not for the network, which the definition ignores', async () => {
    const dir = cacheDir();
    const { misses, synthesize } = countingSynth();
    await cachedDefinition(config, { dir, synthesize });
    const batch = structuredClone(config);
    batch.pipeline.general.batch_size += 1;
    await cachedDefinition(batch, { dir, synthesize });
    const table = structuredClone(config);
    table.tables = { ...config.tables, patient: { strategy: 'reconcile' } } as typeof config.tables;
    await cachedDefinition(table, { dir, synthesize });
    expect(misses).toHaveLength(3);

    const network = structuredClone(config);
    network.pipeline.aws.network = { type: 'local' };
    await cachedDefinition(network, { dir, synthesize: refuse });
    await cachedDefinition(batch, { dir, synthesize: refuse });
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it('misses when the code version changes', async () => {
    const dir = cacheDir();
    const { misses, synthesize } = countingSynth();
    await cachedDefinition(config, { dir, synthesize, codeVersion: 'v1' });
    await cachedDefinition(config, { dir, synthesize, codeVersion: 'v2' });
    expect(misses).toHaveLength(2);
    await cachedDefinition(config, { dir, synthesize: refuse, codeVersion: 'v1' });
  });

  it('synthesizes again over a corrupt or unreadable entry, and rewrites it', async () => {
    const dir = cacheDir();
    const { misses, synthesize } = countingSynth();
    await cachedDefinition(config, { dir, synthesize });
    const [name] = readdirSync(dir);
    const file = join(dir, String(name));
    const key = String(name).replace('.json', '');
    const corrupt = [
      '{"key":"', // cut short by a crash
      '',
      'null',
      JSON.stringify({ key: 'f'.repeat(64), definition: fresh }), // another key's entry
      JSON.stringify({ key, definition: { States: {} } }), // not a definition
    ];
    for (const text of corrupt) {
      writeFileSync(file, text);
      expect(await cachedDefinition(config, { dir, synthesize })).toEqual(fresh);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ key, definition: fresh });
    }
    expect(misses).toHaveLength(1 + corrupt.length);
    expect(readdirSync(dir)).toEqual([name]); // no temporary file left behind
  });

  it('is never fatal: an entry it cannot read, a directory it cannot write', async () => {
    const dir = cacheDir();
    const { misses, synthesize } = countingSynth();
    await cachedDefinition(config, { dir, synthesize });
    const file = join(dir, String(readdirSync(dir)[0]));
    rmSync(file);
    mkdirSync(file); // reading it fails (EISDIR), and so does renaming an entry over it
    expect(await cachedDefinition(config, { dir, synthesize })).toEqual(fresh);

    const underAFile = join(scratch, 'a-file');
    writeFileSync(underAFile, '');
    expect(await cachedDefinition(config, { dir: join(underAFile, 'cache'), synthesize })).toEqual(
      fresh,
    );
    expect(misses).toHaveLength(3);
    expect(readdirSync(dir)).toEqual([basename(file)]); // no temporary file left behind
  });

  it('holds no credential, in its files or their names, and leaving them out of the key is exact', async () => {
    const text = (secrets: boolean) => {
      const password = (name: string) => (secrets ? `, password: ${CANARY}-${name}` : '');
      return `connections:
  source: { database: od_source${password('source')} }
  replication: { database: od_replica${password('replica')} }
  analytics: { database: od_analytics${password('analytics')} }
alerts:
  email: [office@clinic.example]
${secrets ? `  slack_webhook_url: https://hooks.slack.com/services/T0/B0/${CANARY}\n` : ''}  smtp: { host: smtp.clinic.example, from: etl@clinic.example, user: etl${password('smtp')} }
`;
    };
    const dir = cacheDir();
    const withSecrets = loadConfigText(text(true));
    expect(withSecrets.pipeline.connections.source.password).toBe(`${CANARY}-source`);
    const definition = await cachedDefinition(withSecrets, { dir });
    const names = readdirSync(dir);
    expect(names).toHaveLength(1);
    for (const name of names) {
      expect(name).not.toContain(CANARY);
      const stored = readFileSync(join(dir, name), 'utf8');
      expect(stored).not.toContain(CANARY);
      expect(JSON.parse(stored).definition).toEqual(definition);
    }
    // The same configuration without its credentials: the same definition, and a hit.
    const withoutSecrets = loadConfigText(text(false));
    expect(synthesizeDefinition(withoutSecrets)).toEqual(definition);
    expect(await cachedDefinition(withoutSecrets, { dir, synthesize: refuse })).toEqual(definition);
  });
});

describe('where the cache lives', () => {
  it('ETL_DEFINITION_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(definitionCacheDir({ ETL_DEFINITION_CACHE_DIR: '/srv/etl', XDG_CACHE_HOME: '/x' })).toBe(
      '/srv/etl',
    );
    expect(definitionCacheDir({ XDG_CACHE_HOME: '/home/ana/.xdg' })).toBe(
      '/home/ana/.xdg/etl-pipeline/definitions',
    );
    const home = join(homedir(), '.cache', 'etl-pipeline', 'definitions');
    expect(definitionCacheDir({ XDG_CACHE_HOME: 'relative/cache' })).toBe(home);
    expect(definitionCacheDir({})).toBe(home);
  });
});
