import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * podman for the image tests, as it works on this machine kind (see ../shared/LIBRARIES.md,
 * "containers"): root, no container registry, runc with cgroupfs, and outbound TLS intercepted.
 * `npm test` and `npm run test:aws` install podman, mmdebstrap, runc and uidmap from Debian's
 * packages when missing (test/aws/container/install-tools.sh).
 */
export const CONTAINERS_CONF = fileURLToPath(new URL('./containers.conf', import.meta.url));

/** podman's environment: the host's, with this directory's containers.conf unless one is set. */
export const podmanEnv: NodeJS.ProcessEnv = {
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? CONTAINERS_CONF,
};

export interface Exited {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never throws for a non-zero exit (the caller asserts on it). */
export function exec(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: NodeJS.ReadableStream } = {},
): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? podmanEnv,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (options.stdin && child.stdin) options.stdin.pipe(child.stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', (error) =>
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(
              `${command} is not installed: npm test installs it from Debian's packages (test/aws/container/install-tools.sh)`,
            )
          : error,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** `podman …`, failing with the end of its output when it fails. */
export async function podman(...args: string[]): Promise<string> {
  const result = await exec('podman', args);
  if (result.code !== 0) {
    throw new Error(
      `podman ${args[0]} exited with ${result.code}:\n${(result.stderr || result.stdout).slice(-4000)}`,
    );
  }
  return result.stdout;
}

/**
 * The base image of the tests: Debian trixie's Node (20) and npm, made with mmdebstrap from the
 * Debian mirror apt already uses, because no container registry is reachable here. Tagged by a
 * hash of the recipe and built only when that tag is missing (about a minute and a half).
 */
const BASE_RECIPE = {
  suite: 'trixie',
  variant: 'minbase',
  include: ['nodejs', 'npm', 'ca-certificates'],
};

export async function ensureNodeBase(): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(BASE_RECIPE)).digest('hex');
  const tag = `localhost/node-base:${hash.slice(0, 12)}`;
  if ((await exec('podman', ['image', 'exists', tag])).code === 0) return tag;
  const { suite, variant, include } = BASE_RECIPE;
  const bootstrap = spawn(
    'mmdebstrap',
    [
      '--quiet',
      `--variant=${variant}`,
      `--include=${include.join(',')}`,
      suite,
      '-',
      `deb ${debianMirror()} ${suite} main`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let bootstrapErrors = '';
  bootstrap.stderr.on('data', (d) => {
    bootstrapErrors += String(d);
  });
  const bootstrapped = new Promise<number>((resolve, reject) => {
    bootstrap.on('error', () => reject(new Error('mmdebstrap is not installed: run .ci/run')));
    bootstrap.on('close', (code) => resolve(code ?? 1));
  });
  const imported = await exec('podman', ['import', '-', tag], { stdin: bootstrap.stdout });
  const code = await bootstrapped;
  if (code !== 0 || imported.code !== 0) {
    await exec('podman', ['rmi', '--force', tag]);
    throw new Error(
      `building ${tag} failed: mmdebstrap exited ${code}, podman import ${imported.code}\n${bootstrapErrors.slice(-2000)}${imported.stderr.slice(-2000)}`,
    );
  }
  return tag;
}

/** The Debian mirror of apt's own sources (deb822 `.sources` or one-line `.list` files). */
export function debianMirror(): string {
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => /\.(list|sources)$/.test(f))
          .map((f) => join(dir, f))
      : []),
  ].filter((f) => existsSync(f));
  const uris = files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .flatMap((line) => {
        const deb822 = line.match(/^URIs:\s*(.+)$/i);
        if (deb822?.[1]) return deb822[1].split(/\s+/);
        const oneLine = line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/);
        return oneLine?.[1] ? [oneLine[1]] : [];
      }),
  );
  return uris.find((uri) => /\/debian\/?$/.test(uri)) ?? 'http://deb.debian.org/debian';
}

/**
 * `podman build` of a Dockerfile, as the tests need it here: chroot isolation, never a pull, and
 * the host's CA bundle mounted for `npm ci` (this network intercepts TLS with its own CA).
 * Layers are cached, so an unchanged lockfile does not reinstall the packages.
 */
export async function buildImage(options: {
  context: string;
  dockerfile: string;
  tag: string;
  buildArgs: Record<string, string>;
}): Promise<string> {
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  await podman(
    'build',
    '--isolation=chroot',
    '--pull=never',
    '--layers',
    ...(existsSync(ca) ? ['--volume', `${ca}:${ca}:ro`] : []),
    ...Object.entries(options.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    '--file',
    join(options.context, options.dockerfile),
    '--tag',
    options.tag,
    options.context,
  );
  return options.tag;
}

/** Every path in an image's file system (from `podman export` of a container never started). */
export async function imageFiles(image: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'etl-image-files-'));
  // Never started: the entrypoint only has to be named (a bare base image has none).
  const id = (await podman('create', '--pull=never', '--entrypoint', 'true', image)).trim();
  try {
    await podman('export', '--output', join(dir, 'fs.tar'), id);
    const listing = await exec('tar', ['--list', '--file', join(dir, 'fs.tar')]);
    if (listing.code !== 0) throw new Error(`tar --list failed: ${listing.stderr}`);
    return listing.stdout.split('\n').filter((line) => line !== '');
  } finally {
    await podman('rm', id);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `podman image inspect`: the fields the tests read. */
export async function inspectImage(
  image: string,
): Promise<{ Size: number; Config: { User?: string; Entrypoint?: string[]; Cmd?: string[] } }> {
  const [info] = JSON.parse(await podman('image', 'inspect', image));
  return info;
}

/**
 * `podman run --rm` of an image: `flags` before the image, `args` after it. The environment is
 * passed by name, its values through podman's own environment (a command line is public).
 */
export function runImage(
  image: string,
  options: { flags?: string[]; env?: Record<string, string>; args?: string[] } = {},
): Promise<Exited> {
  const env = options.env ?? {};
  return exec(
    'podman',
    [
      'run',
      '--rm',
      '--pull=never',
      ...(options.flags ?? []),
      ...Object.keys(env).flatMap((name) => ['--env', name]),
      image,
      ...(options.args ?? []),
    ],
    { env: { ...podmanEnv, ...env } },
  );
}
