import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { closest } from 'fastest-levenshtein';
import { type Document, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../contract/errors';
import {
  type PipelineConfig,
  PipelineConfigSchema,
  type TablesConfig,
  TablesConfigSchema,
} from './schema';
import { withCaFileFrom } from './tls-policy';

export interface LoadedConfig {
  pipeline: PipelineConfig;
  tables: TablesConfig['tables'];
  /** Files the configuration was read from (for messages). */
  files: { pipeline: string; tables: string };
}

export interface LoadConfigOptions {
  /** Path of pipeline.yml; tables.yml is looked up beside it. Default: `config/pipeline.yml`. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_CONFIG_PATH = 'config/pipeline.yml';

/**
 * Reads, interpolates and validates `pipeline.yml` and `tables.yml`. Any problem becomes one
 * {@link ConfigError} listing every issue as `file:line:col key.path: what is wrong`. Values are
 * never quoted back: a misplaced password must not end up in a terminal or a log.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const pipelinePath = resolve(cwd, options.path ?? DEFAULT_CONFIG_PATH);
  const tablesPath = join(dirname(pipelinePath), 'tables.yml');
  if (options.path && !existsSync(pipelinePath)) {
    throw new ConfigError(`configuration file not found: ${relative(cwd, pipelinePath)}`, {
      stage: 'config',
    });
  }
  const problems: string[] = [];
  const pipeline = parseFile(pipelinePath, PipelineConfigSchema, env, cwd, problems);
  const tables = parseFile(tablesPath, TablesConfigSchema, env, cwd, problems);
  if (problems.length > 0 || !pipeline || !tables) {
    throw new ConfigError(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
      { stage: 'config' },
    );
  }
  // A relative `ca_file` names a file beside pipeline.yml, wherever the command runs from.
  pipeline.aws.region = regionOf(pipelinePath, pipeline.aws.region, env);
  const base = dirname(pipelinePath);
  const { source, replication, analytics } = pipeline.connections;
  pipeline.connections = {
    source: withCaFileFrom(source, base),
    replication: withCaFileFrom(replication, base),
    analytics: withCaFileFrom(analytics, base),
  };
  return { pipeline, tables: tables.tables, files: { pipeline: pipelinePath, tables: tablesPath } };
}

/**
 * The stack's region: `aws.region` as written in the file, else the environment's
 * (`AWS_REGION`, `AWS_DEFAULT_REGION`, or `CDK_DEFAULT_REGION`, which the cdk CLI sets from the
 * deployer's profile, and `-c region=…` through buildApp), else `us-east-1`. The CLI and synth
 * read the same file and environment, so they agree on the stack's region.
 */
function regionOf(path: string, parsed: string, env: NodeJS.ProcessEnv): string {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (text && parseDocument(text).hasIn(['aws', 'region'])) return parsed;
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || env.CDK_DEFAULT_REGION || parsed;
}

/** Validates YAML text as a configuration file; exported for tests and `config validate`. */
export function parseConfigText<S extends z.ZodType>(
  text: string,
  schema: S,
  fileLabel: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): z.infer<S> | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return fileLabel;
    const { line, col } = lineCounter.linePos(offset);
    return `${fileLabel}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) problems.push(`${at(e.pos[0])} YAML syntax: ${e.message}`);
    return undefined;
  }
  const missing = interpolateEnv(doc, env);
  for (const m of missing) {
    problems.push(`${at(m.offset)} ${m.path}: environment variable ${m.variable} is not set`);
  }
  if (missing.length > 0) return undefined;

  const result = schema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path.map(String);
    const node = nodeAt(doc, issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const known = knownKeysAt(schema, path);
        const hint = known.length > 0 ? ` (did you mean "${closest(key, known)}"?)` : '';
        problems.push(`${at(keyOffset(doc, keyPath))} ${keyPath.join('.')}: unknown key${hint}`);
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const reason = issue.issues[0]?.message ?? 'not allowed';
      problems.push(`${at(keyOffset(doc, path))} ${path.join('.')}: invalid name: ${reason}`);
      continue;
    }
    if (issue.code === 'invalid_type' && node === undefined) message = 'required';
    problems.push(
      `${at(node?.range?.[0] ?? nearestOffset(doc, issue.path))} ${path.join('.') || '(root)'}: ${message}`,
    );
  }
  return undefined;
}

function parseFile<S extends z.ZodType>(
  path: string,
  schema: S,
  env: NodeJS.ProcessEnv,
  cwd: string,
  problems: string[],
): z.infer<S> | undefined {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return parseConfigText(text, schema, relative(cwd, path) || path, env, problems);
}

interface MissingVariable {
  variable: string;
  path: string;
  offset: number | undefined;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in scalar values (never in keys or raw text, so a
 * value cannot inject YAML structure). Returns every variable that is unset, all at once.
 */
function interpolateEnv(doc: Document, env: NodeJS.ProcessEnv): MissingVariable[] {
  const missing: MissingVariable[] = [];
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(VARIABLE, (_match, name: string, fallback?: string) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        missing.push({ variable: name, path: pathOf(path), offset: node.range?.[0] });
        return '';
      });
    },
  });
  return missing;
}

function pathOf(ancestors: readonly unknown[]): string {
  const keys: string[] = [];
  for (const a of ancestors) {
    const pair = a as { key?: unknown };
    if (pair && typeof pair === 'object' && 'key' in pair && isScalar(pair.key)) {
      keys.push(String(pair.key.value));
    }
  }
  return keys.join('.');
}

type Ranged = { range?: [number, number, number] | null };

function nodeAt(doc: Document, path: readonly PropertyKey[]): Ranged | undefined {
  if (path.length === 0) return (doc.contents as Ranged | null) ?? undefined;
  return doc.getIn(path as unknown[], true) as Ranged | undefined;
}

function nearestOffset(doc: Document, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length - 1; n >= 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node?.range) return node.range[0];
  }
  return undefined;
}

function keyOffset(doc: Document, path: string[]): number | undefined {
  const parent = nodeAt(doc, path.slice(0, -1)) as {
    items?: { key?: Ranged & { value?: unknown } }[];
  };
  const key = path[path.length - 1];
  const pair = parent?.items?.find((item) => item.key && String(item.key.value) === key);
  return pair?.key?.range?.[0] ?? nearestOffset(doc, path);
}

/** The keys a strict object accepts at `path`, unwrapping defaults, optionals and pipes. */
export function knownKeysAt(schema: z.ZodType, path: readonly string[]): string[] {
  let current: unknown = schema;
  for (const key of [...path, null]) {
    current = unwrap(current);
    const shape = (current as { shape?: Record<string, unknown> }).shape;
    const def = (current as { def?: { type?: string; valueType?: unknown } }).def;
    if (key === null) return shape ? Object.keys(shape) : [];
    if (shape) current = shape[key];
    else if (def?.type === 'record') current = def.valueType;
    else return [];
  }
  return [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown; out?: unknown } };
  for (let i = 0; i < 10 && s?.def; i++) {
    const { type } = s.def;
    if (type === 'default' || type === 'optional' || type === 'nullable' || type === 'prefault') {
      s = s.def.innerType as typeof s;
    } else if (type === 'pipe') {
      const input = s.def.in as typeof s;
      s = (input?.def?.type === 'transform' ? s.def.out : input) as typeof s;
    } else break;
  }
  return s;
}
