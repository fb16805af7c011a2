import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig } from '../../config/schema';
import { tlsRefusal } from '../../config/tls-policy';
import { ConfigError } from '../../contract/errors';
import { CONNECTIONS, type ConnectionName } from './secrets';

/**
 * The connections' TLS at synth (config/tls-policy.ts, docs/tls.md). In AWS no database is on
 * the runner's loopback: every host comes from the connection's secret. So plaintext or
 * unchecked TLS is refused for every connection without `allow_plaintext`, whatever the host
 * in pipeline.yml says. `configFile` names the file in the message.
 */
export function assertTlsInAws(config: PipelineConfig, configFile?: string): void {
  const problems = CONNECTIONS.flatMap((name) => {
    const refusal = tlsRefusal(name, config.connections[name], 'aws');
    return refusal ? [`connections.${name}.${refusal.key}: ${refusal.message}`] : [];
  });
  if (problems.length === 0) return;
  const where = configFile ? `${configFile}: ` : '';
  throw new ConfigError(
    `refused for AWS (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${where}${problems.join(`\n  ${where}`)}`,
    { stage: 'config' },
  );
}

/**
 * A configured `ca_file`, carried into the Lambda bundles and the Fargate image at `bundled`
 * (beside the bundle's entry file); the runners' configuration names that copy, which the
 * runtime reads from the bundle's directory (core/runtime/runtime-config.ts).
 */
export interface CarriedCaFile {
  connection: ConnectionName;
  /** The file at synth, absolute. */
  source: string;
  /** Its place in a bundle: `ca/<connection>.pem`. */
  bundled: string;
  pem: string;
}

/** Where a connection's CA file is in a bundle: beside its entry file, in `ca/`. */
export const bundledCaFile = (connection: ConnectionName) => `ca/${connection}.pem`;

/** The CA files the connections name, read at synth: a missing one is a ConfigError. */
export function carriedCaFiles(config: PipelineConfig): CarriedCaFile[] {
  return CONNECTIONS.flatMap((name) => {
    const tls = config.connections[name].tls;
    if (typeof tls !== 'object' || !tls.ca_file) return [];
    const source = resolve(tls.ca_file);
    const key = `connections.${name}.tls.ca_file`;
    let pem: string;
    try {
      pem = readFileSync(source, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(
        `${key}: cannot read ${source} (${code}); synth copies it into the Lambda bundles and the Fargate image`,
        { stage: 'config' },
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----'))
      throw new ConfigError(`${key}: ${source} holds no PEM certificate`, { stage: 'config' });
    return [{ connection: name, source, bundled: bundledCaFile(name), pem }];
  });
}

/** Points each connection's `ca_file` at its copy in the bundle (for the runners' configuration). */
export function withBundledCaFiles(config: PipelineConfig): PipelineConfig {
  for (const name of CONNECTIONS) {
    const connection = config.connections[name];
    if (typeof connection.tls === 'object' && connection.tls.ca_file)
      connection.tls = { ...connection.tls, ca_file: bundledCaFile(name) };
  }
  return config;
}

/**
 * The Lambda functions' `afterBundling` commands: each CA file copied into the bundle. They run
 * on the synthesizing machine (local esbuild bundling, as this project bundles), so the
 * source may be anywhere on it.
 */
export function caCopyCommands(files: readonly CarriedCaFile[], outputDir: string): string[] {
  if (files.length === 0) return [];
  return [
    `mkdir -p ${shellQuote(`${outputDir}/ca`)}`,
    ...files.map((f) => `cp ${shellQuote(f.source)} ${shellQuote(`${outputDir}/${f.bundled}`)}`),
  ];
}

/**
 * The Fargate image's `CA_FILES` build argument: `{"ca/<connection>.pem": PEM}` as JSON, which
 * the image's build stage writes beside the bundle (ecs-tasks/build.ts). Empty without any.
 */
export function caFilesBuildArg(files: readonly CarriedCaFile[]): string {
  return files.length === 0
    ? ''
    : JSON.stringify(Object.fromEntries(files.map((f) => [f.bundled, f.pem])));
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
