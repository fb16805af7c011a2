import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AnalyticsConnectionConfig, ConnectionConfig } from '../../config/schema';
import { makeTestCertificates } from './tls-certificates';

/**
 * A MariaDB server and a PostgreSQL cluster of a test's own, each with TLS from a CA the test
 * makes, on free ports and under a temporary directory: the machine's shared servers (3306,
 * 5432, no TLS) are never touched. The pipeline's account may log in over TLS only (MariaDB
 * `REQUIRE SSL`; PostgreSQL `hostssl`, and `hostnossl … reject`). Both listen on 127.0.0.1 and
 * 127.0.0.2; the certificate names 127.0.0.1 and localhost only. Start-up takes a few seconds.
 */
export interface TlsServers {
  caFile: string;
  mysql: { host: string; port: number };
  pg: { host: string; port: number };
  /** The pipeline's account on both servers: TLS only. */
  user: { name: string; password: string };
  /** The administrator of each server, over TLS with the CA (databases, seeding, checks). */
  mysqlAdmin: ConnectionConfig;
  pgAdmin: Pick<
    AnalyticsConnectionConfig,
    'host' | 'port' | 'database' | 'user' | 'password' | 'tls' | 'connect_timeout_seconds'
  >;
  stop(): Promise<void>;
}

export interface TlsDatabases {
  /** MariaDB, created by the caller (the demo seed): the pipeline's account may read it. */
  source: string;
  /** MariaDB: the pipeline's account owns it. */
  replica: string;
  /** PostgreSQL: owned by the pipeline's account. */
  analytics: string;
}

const run = promisify(execFile);

export async function startTlsServers(databases: TlsDatabases): Promise<TlsServers> {
  const dir = mkdtempSync('/tmp/etl-tls-'); // short: a socket path has at most 107 bytes
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
    process.removeListener('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const certs = makeTestCertificates(dir);
    const user = { name: 'etl_tls', password: randomBytes(12).toString('hex') };
    const admin = randomBytes(12).toString('hex');
    const [mysqlPort, pgPort] = [await freePort(), await freePort()];
    const [mysqlSocket] = await Promise.all([
      startMariadb(dir, mysqlPort, certs, children),
      startPostgres(dir, pgPort, certs, children),
    ]);
    execFileSync('mariadb', ['--no-defaults', '-S', mysqlSocket, '-u', 'root'], {
      input: `CREATE USER 'etl_tls'@'127.0.0.%' IDENTIFIED BY '${user.password}' REQUIRE SSL;
CREATE USER 'etl_tls_admin'@'127.0.0.%' IDENTIFIED BY '${admin}' REQUIRE SSL;
GRANT ALL ON *.* TO 'etl_tls_admin'@'127.0.0.%' WITH GRANT OPTION;
CREATE DATABASE \`${databases.replica}\`;
GRANT SELECT, SHOW VIEW ON \`${databases.source}\`.* TO 'etl_tls'@'127.0.0.%';
GRANT ALL ON \`${databases.replica}\`.* TO 'etl_tls'@'127.0.0.%';`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    execFileSync(
      pgBin('psql'),
      ['-h', join(dir, 'pg'), '-p', String(pgPort), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1'],
      {
        input: `CREATE ROLE etl_tls LOGIN PASSWORD '${user.password}';
CREATE DATABASE "${databases.analytics}" OWNER etl_tls;`,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const tls = { ca_file: certs.caFile, reject_unauthorized: true };
    return {
      caFile: certs.caFile,
      mysql: { host: '127.0.0.1', port: mysqlPort },
      pg: { host: '127.0.0.1', port: pgPort },
      user,
      mysqlAdmin: {
        ...{ host: '127.0.0.1', port: mysqlPort, database: databases.source },
        ...{ user: 'etl_tls_admin', password: admin, tls, connect_timeout_seconds: 10 },
      },
      pgAdmin: {
        ...{ host: '127.0.0.1', port: pgPort, database: databases.analytics },
        ...{ user: 'postgres', password: '', tls, connect_timeout_seconds: 10 },
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startMariadb(
  dir: string,
  port: number,
  certs: { caFile: string; serverCert: string; serverKey: string },
  children: ChildProcess[],
): Promise<string> {
  const home = join(dir, 'mysql');
  mkdirSync(home);
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const small = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=8M'];
  await run('mariadb-install-db', [
    ...['--no-defaults', `--datadir=${home}/data`, ...asRoot],
    ...['--auth-root-authentication-method=normal', '--skip-test-db', ...small],
  ]);
  const socket = join(home, 'sock');
  const log = join(home, 'error.log');
  children.push(
    spawn(
      'mariadbd',
      [
        ...['--no-defaults', `--datadir=${home}/data`, ...asRoot, ...small],
        ...[`--port=${port}`, '--bind-address=127.0.0.1,127.0.0.2', `--socket=${socket}`],
        ...[`--pid-file=${home}/pid`, `--log-error=${log}`, '--skip-name-resolve'],
        ...['--local-infile=1', '--skip-log-bin', '--max-connections=60'],
        `--ssl-cert=${certs.serverCert}`,
        `--ssl-key=${certs.serverKey}`,
        `--ssl-ca=${certs.caFile}`,
      ],
      { stdio: 'ignore' },
    ),
  );
  await waitUntil('mariadbd', children.at(-1) as ChildProcess, log, () =>
    run('mariadb-admin', ['--no-defaults', '-S', socket, '-u', 'root', 'ping']),
  );
  return socket;
}

async function startPostgres(
  dir: string,
  port: number,
  certs: { serverCert: string; serverKey: string },
  children: ChildProcess[],
): Promise<void> {
  const home = join(dir, 'pg');
  mkdirSync(home);
  // PostgreSQL refuses to run as root: as root, it runs as the `postgres` account.
  const owner = process.getuid?.() === 0 ? osUser('postgres') : undefined;
  // The key must belong to the server's account and be readable by it alone.
  copyFileSync(certs.serverCert, join(home, 'server.pem'));
  copyFileSync(certs.serverKey, join(home, 'server.key'));
  chmodSync(join(home, 'server.key'), 0o600);
  if (owner) {
    for (const f of ['', 'server.pem', 'server.key'])
      chownSync(join(home, f), owner.uid, owner.gid);
  }
  await run(
    pgBin('initdb'),
    ['-D', join(home, 'data'), '-U', 'postgres', '--auth=reject', '--no-sync', '-E', 'UTF8'],
    { ...owner },
  );
  writeFileSync(
    join(home, 'data', 'pg_hba.conf'),
    `local all postgres trust
hostnossl all all 0.0.0.0/0 reject
hostnossl all all ::/0 reject
hostssl all postgres 127.0.0.0/8 trust
hostssl all etl_tls 127.0.0.0/8 scram-sha-256
`,
  );
  const log = join(home, 'server.log');
  const out = openSync(log, 'a');
  children.push(
    spawn(
      pgBin('postgres'),
      [
        ...['-D', join(home, 'data'), '-p', String(port), '-k', home],
        ...['-c', 'listen_addresses=127.0.0.1,127.0.0.2', '-c', 'ssl=on'],
        ...['-c', `ssl_cert_file=${join(home, 'server.pem')}`],
        ...['-c', `ssl_key_file=${join(home, 'server.key')}`],
        ...['-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=40'],
      ],
      { stdio: ['ignore', out, out], ...owner },
    ),
  );
  await waitUntil('postgres', children.at(-1) as ChildProcess, log, () =>
    run(pgBin('pg_isready'), ['-q', '-h', home, '-p', String(port)]),
  );
}

/** Polls `ready` until it succeeds; fails with the server log's end if the server exits. */
async function waitUntil(
  name: string,
  child: ChildProcess,
  log: string,
  ready: () => Promise<unknown>,
): Promise<void> {
  const tail = () => (existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '');
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${tail()}`);
    if (
      await ready().then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not start in 60 s:\n${tail()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // mariadbd: SIGTERM is its normal shutdown; postgres: SIGQUIT is the immediate one.
    child.kill(child.spawnfile.endsWith('postgres') ? 'SIGQUIT' : 'SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL program: TEST_PG_BINDIR, else the newest /usr/lib/postgresql/<version>/bin. */
function pgBin(program: string): string {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  const dir =
    process.env.TEST_PG_BINDIR ??
    versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, program)));
  return dir ? join(dir, program) : program;
}

function osUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}
