import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FaultBench } from './fault-bench';
import { waitFor } from './probes';

const exec = promisify(execFile);

/**
 * Restarts the local MariaDB (shutdown, wait for the process to exit, start), then gives the bench
 * new admin sessions. The servers are shared by the machine: only this suite may do this.
 */
export async function restartMariadb(bench: FaultBench): Promise<void> {
  await exec('mysqladmin', ['-uroot', '-h127.0.0.1', 'shutdown']);
  // Start only once the old server has exited (--oknodo would otherwise see it and do nothing).
  await waitFor(
    () =>
      exec('pgrep', ['-x', 'mariadbd']).then(
        () => false,
        () => true,
      ),
    60_000,
    'MariaDB to stop',
  );
  await exec('start-stop-daemon', [
    '--start',
    '--oknodo',
    '--background',
    '--exec',
    '/usr/sbin/mariadbd',
    // .ci/run enables LOAD DATA LOCAL at run time; a restarted server needs it from the start.
    '--',
    '--local-infile=1',
  ]);
  await waitFor(
    () => exec('mysqladmin', ['-uroot', '-h127.0.0.1', 'ping']).then(() => true),
    60_000,
    'MariaDB to come back',
  );
  await bench.reconnect();
}

/** Restarts the local PostgreSQL cluster, then gives the bench new admin sessions. */
export async function restartPostgres(bench: FaultBench): Promise<void> {
  const { stdout } = await exec('ls', ['/etc/postgresql']);
  const version = stdout.trim().split('\n')[0] ?? '15';
  await exec('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart']);
  await bench.reconnect();
}
