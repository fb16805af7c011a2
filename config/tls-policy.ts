import { BlockList } from 'node:net';
import { isAbsolute, resolve } from 'node:path';

/**
 * TLS by default: what a connection's `tls` and `allow_plaintext` mean, in one place for the
 * configuration loader, the synth (infra/), the runtime in AWS and the database adapters.
 *
 * - `tls` omitted: TLS with certificate checks to every host that is not loopback, plaintext to
 *   loopback (127.0.0.0/8, ::1, `localhost`), so the local servers need no certificates.
 * - `tls: true`: TLS with certificate checks; `false`: plaintext; `{ca_file, reject_unauthorized}`.
 * - Plaintext, or TLS without certificate checks, to a host that is not loopback is refused
 *   unless the connection says `allow_plaintext: true`, and then every run logs a warning.
 */
export type TlsSetting = boolean | { ca_file?: string; reject_unauthorized: boolean } | undefined;

export interface TlsPolicyConnection {
  host: string;
  tls?: TlsSetting;
  allow_plaintext?: boolean;
}

/** What a connection does on the wire. `caFile` absent: Node's roots plus the Amazon RDS CAs. */
export type EffectiveTls =
  | { mode: 'plaintext' }
  | { mode: 'tls'; verify: boolean; caFile?: string };

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for hosts whose traffic never leaves the machine: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  // BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 subnet.
  for (const family of ['ipv4', 'ipv6'] as const) {
    try {
      if (LOOPBACK.check(name, family)) return true;
    } catch {
      // not an address of this family
    }
  }
  return false;
}

export function effectiveTls(connection: TlsPolicyConnection): EffectiveTls {
  const { tls } = connection;
  if (tls === undefined)
    return isLoopbackHost(connection.host) ? { mode: 'plaintext' } : { mode: 'tls', verify: true };
  if (tls === false) return { mode: 'plaintext' };
  if (tls === true) return { mode: 'tls', verify: true };
  return {
    mode: 'tls',
    verify: tls.reject_unauthorized,
    ...(tls.ca_file ? { caFile: tls.ca_file } : {}),
  };
}

/** Plaintext or unchecked TLS: what `allow_plaintext` has to permit off the machine. */
export function insecureSetting(
  connection: TlsPolicyConnection,
): 'plaintext' | 'unverified' | null {
  const tls = effectiveTls(connection);
  if (tls.mode === 'plaintext') return 'plaintext';
  return tls.verify ? null : 'unverified';
}

export interface TlsRefusal {
  /** The key to point at, under the connection: `tls` or `tls.reject_unauthorized`. */
  key: 'tls' | 'tls.reject_unauthorized';
  message: string;
}

/**
 * Why a connection's TLS setting is refused, or null. `where: 'host'` judges the configured
 * host; `where: 'aws'` treats every host as remote (in AWS the host comes from the connection's
 * secret, and no database is on the runner's loopback).
 */
export function tlsRefusal(
  name: string,
  connection: TlsPolicyConnection,
  where: 'host' | 'aws' = 'host',
): TlsRefusal | null {
  if (connection.allow_plaintext) return null;
  const remote = where === 'aws' || !isLoopbackHost(connection.host);
  if (!remote) return null;
  // Judged as if remote: `tls` omitted then means verified TLS, which needs no permission.
  const insecure = insecureSetting({ ...connection, host: 'remote.invalid' });
  if (!insecure) return null;
  const target =
    where === 'aws'
      ? 'in AWS, where every host (from the connection’s secret) is remote,'
      : 'to a host that is not loopback';
  const what =
    insecure === 'plaintext'
      ? 'plaintext (tls: false)'
      : 'TLS without certificate checks (reject_unauthorized: false)';
  return {
    key: insecure === 'plaintext' ? 'tls' : 'tls.reject_unauthorized',
    message: `${what} ${target} is refused: remove it for TLS with certificate checks (tls: {ca_file} names a private CA), or set connections.${name}.allow_plaintext: true to accept the risk`,
  };
}

/**
 * The connection's `tls` with a relative `ca_file` made absolute against `baseDir` (the
 * directory of pipeline.yml when loading it; the bundle's directory in AWS).
 */
export function withCaFileFrom<T extends TlsPolicyConnection>(connection: T, baseDir: string): T {
  const { tls } = connection;
  if (typeof tls !== 'object' || !tls.ca_file || isAbsolute(tls.ca_file)) return connection;
  return { ...connection, tls: { ...tls, ca_file: resolve(baseDir, tls.ca_file) } };
}
