import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The connections' CA files beside the bundle: the image's `CA_FILES` build argument, JSON
 * `{"ca/<connection>.pem": PEM}` (infra/constructs/connection-tls.ts). Nothing when unset.
 */
export function writeCaFiles(outdir: string, caFiles: string | undefined): string[] {
  if (!caFiles) return [];
  const files = JSON.parse(caFiles) as Record<string, string>;
  return Object.entries(files).map(([path, pem]) => {
    if (!/^ca\/[a-z]+\.pem$/.test(path)) throw new Error(`CA_FILES: unexpected path ${path}`);
    mkdirSync(dirname(join(outdir, path)), { recursive: true });
    writeFileSync(join(outdir, path), pem);
    return path;
  });
}
