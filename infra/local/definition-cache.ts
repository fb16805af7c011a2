import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { LoadedConfig } from '../../config/load-config';
import { PipelineConfigSchema, TablesConfigSchema } from '../../config/schema';
import { withoutSecrets } from '../../config/secret-fields';
import { ROOT_DIR } from '../root-dir';
import type { AslDefinition } from './asl-states';
import { definitionInput } from './definition-input';

/**
 * The local runner's state machine definition, cached on disk: synthesizing it loads aws-cdk-lib
 * and builds the whole stack (seconds, and most of a local run's memory), while the definition
 * only changes with the configuration and the code. A hit reads one small JSON file and never
 * loads aws-cdk-lib (`definition.ts` is imported only on a miss). Entries are
 * `<dir>/<key>.json`, the key a SHA-256 (`definitionCacheKey`); a missing, unreadable or corrupt
 * entry is a miss and is rewritten; a cache that cannot be written is skipped, never fatal.
 */

/** Overrides where the cache lives (docs/cli.md). */
export const DEFINITION_CACHE_ENV = 'ETL_DEFINITION_CACHE_DIR';

/**
 * `ETL_DEFINITION_CACHE_DIR`, else `$XDG_CACHE_HOME/etl-pipeline/definitions`, else
 * `~/.cache/etl-pipeline/definitions`.
 */
export function definitionCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env[DEFINITION_CACHE_ENV];
  if (own) return own;
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and is ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'etl-pipeline', 'definitions');
}

/**
 * The repository directories whose files can change the definition: every module that
 * `definition.ts` imports, through buildApp, the constructs and `core/runtime`, lies in one of
 * them (test/unit/definition-cache-loading.test.ts follows the imports and fails otherwise).
 */
export const DEFINITION_SOURCE_DIRS = ['config', 'contract', 'core', 'infra'] as const;

const codeVersions = new Map<string, string>();

/**
 * The version of the code that builds the definition: the package's version, a SHA-256 of every
 * file in {@link DEFINITION_SOURCE_DIRS}, the installed aws-cdk-lib and constructs, and Node's
 * version (its time-zone data). The sources, not a build, because the CLI runs them through tsx
 * (there are no built files), and not the git commit, which misses uncommitted edits and does
 * not exist in an installed copy. Hashing them is exact (any edit is a miss; an edit that does not
 * change the definition costs one synth) and cheap: about 170 files, 2 MB, a few milliseconds.
 */
export function codeVersion(root: string = ROOT_DIR): string {
  let version = codeVersions.get(root);
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version?: string;
    };
    version = JSON.stringify({
      package: pkg.version ?? null,
      sources: sourcesHash(root),
      'aws-cdk-lib': installedVersion('aws-cdk-lib'),
      constructs: installedVersion('constructs'),
      node: process.version,
    });
    codeVersions.set(root, version);
  }
  return version;
}

function sourcesHash(root: string): string {
  const hash = createHash('sha256');
  for (const dir of DEFINITION_SOURCE_DIRS) {
    const path = join(root, dir);
    if (!existsSync(path)) {
      hash.update(`${dir}: none\0`);
      continue;
    }
    const files = readdirSync(path, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
      .sort();
    for (const file of files) {
      const bytes = readFileSync(join(root, file));
      hash.update(`${file}\0${bytes.length}\0`).update(bytes);
    }
  }
  return hash.digest('hex');
}

/** The version of an installed package, read from its package.json (the package is not loaded). */
function installedVersion(name: string): string {
  const path = createRequire(import.meta.url).resolve(`${name}/package.json`);
  return String((JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version);
}

/**
 * The cache key: a SHA-256 of the entry format, the code version and the configuration as the
 * definition is synthesized from it (`definitionInput`: a network change is no miss), without its
 * credentials. The stack drops every field marked secret (config/secret-fields.ts) before any
 * copy of the configuration leaves the machine, so no secret can change the definition, and none
 * is hashed: a SHA-256 of a known configuration with a short password would give the password away.
 * Plain JSON, not key-sorted: two orders of the same tables are two entries, never one wrong one.
 */
export function definitionCacheKey(config: LoadedConfig, code: string): string {
  const input = definitionInput(config);
  const material = JSON.stringify({
    format: 1,
    code,
    pipeline: withoutSecrets(PipelineConfigSchema, input.pipeline),
    tables: withoutSecrets(TablesConfigSchema.shape.tables, input.tables),
  });
  return createHash('sha256').update(material).digest('hex');
}

export interface DefinitionCacheOptions {
  /** Default: {@link definitionCacheDir}. */
  dir?: string;
  /** Default: {@link codeVersion} of this checkout. */
  codeVersion?: string;
  /** How a miss builds the definition (default: `synthesizeDefinition`, imported then). */
  synthesize?: (config: LoadedConfig) => AslDefinition | Promise<AslDefinition>;
}

/** The definition for `config`: from the cache, else synthesized and stored there. */
export async function cachedDefinition(
  config: LoadedConfig,
  options: DefinitionCacheOptions = {},
): Promise<AslDefinition> {
  const dir = options.dir ?? definitionCacheDir();
  const key = definitionCacheKey(config, options.codeVersion ?? codeVersion());
  const file = join(dir, `${key}.json`);
  const cached = readEntry(file, key);
  if (cached) return cached;
  const definition = await (options.synthesize ?? synthesizeOnMiss)(config);
  writeEntry(dir, file, key, definition);
  return definition;
}

async function synthesizeOnMiss(config: LoadedConfig): Promise<AslDefinition> {
  // Only here is aws-cdk-lib loaded: a static import would load it on every run, hit or miss.
  const { synthesizeDefinition } = await import('./definition');
  return synthesizeDefinition(config);
}

function readEntry(file: string, key: string): AslDefinition | undefined {
  try {
    const entry = JSON.parse(readFileSync(file, 'utf8')) as {
      key?: unknown;
      definition?: { StartAt?: unknown; States?: unknown };
    };
    const definition = entry?.definition;
    if (
      entry?.key === key &&
      typeof definition?.StartAt === 'string' &&
      typeof definition.States === 'object' &&
      definition.States !== null
    ) {
      return definition as AslDefinition;
    }
  } catch {
    // Missing, unreadable or not JSON: a miss, and the entry is rewritten.
  }
  return undefined;
}

/** How many entries the directory keeps (one per configuration and code version). */
const KEPT_ENTRIES = 20;
const ENTRY = /^[0-9a-f]{64}\.json$/;
const TEMP = /^[0-9a-f]{64}\.json\.\d+\.[0-9a-f]{8}\.tmp$/;
/** A temporary file this old was left by a process that died while writing it. */
const ABANDONED_TEMP_MS = 60 * 60 * 1000;

/** Written to a temporary file and renamed over the entry: a reader never sees half of one. */
function writeEntry(dir: string, file: string, key: string, definition: AslDefinition): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, JSON.stringify({ key, definition }), { mode: 0o600 });
    renameSync(temp, file);
    pruneEntries(dir);
  } catch {
    // A cache that cannot be written only costs the next run a synth.
    try {
      rmSync(temp, { force: true });
    } catch {}
  }
}

/** Keeps the newest entries; removes only files named as this cache names them. */
function pruneEntries(dir: string): void {
  const now = Date.now();
  const files = readdirSync(dir)
    .filter((name) => ENTRY.test(name) || TEMP.test(name))
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }));
  const entries = files.filter((f) => ENTRY.test(f.name)).sort((a, b) => b.mtime - a.mtime);
  const abandoned = files.filter((f) => TEMP.test(f.name) && now - f.mtime > ABANDONED_TEMP_MS);
  for (const { name } of [...entries.slice(KEPT_ENTRIES), ...abandoned])
    rmSync(join(dir, name), { force: true });
}
