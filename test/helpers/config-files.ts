import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import { ConfigError } from '../../contract/errors';

/**
 * Loads `pipeline.yml` text (and `tables.yml`, when given) from a fresh folder, removed when the
 * current test ends. Messages name the files relative to that folder (`pipeline.yml:3:5 …`).
 */
export function loadConfigText(
  pipeline: string,
  options: { tables?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig {
  const dir = mkdtempSync(join(tmpdir(), 'etl-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pipeline.yml'), pipeline);
  if (options.tables !== undefined) writeFileSync(join(dir, 'tables.yml'), options.tables);
  return loadConfig({ path: join(dir, 'pipeline.yml'), env: options.env ?? {}, cwd: dir });
}

/** The message of the ConfigError that loading this text throws (fails the test if none). */
export function configErrorOf(
  pipeline: string,
  options: { tables?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  try {
    loadConfigText(pipeline, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}
