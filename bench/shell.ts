import { spawn } from 'node:child_process';

/**
 * Runs a baseline's shell pipeline (`bash -o pipefail`: any stage failing fails it), `args` as its
 * positional parameters ($1, $2, …: no quoting to get wrong); rejects with the exit code and the
 * tools' error line, values redacted (`toolError`).
 */
export function shell(command: string, args: readonly string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command, 'bench', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`exit ${code}: ${toolError(stderr)}`)),
    );
  });
}

/**
 * The first error line of a tool's stderr with every quoted part redacted: psql's COPY errors
 * quote the offending value (and their CONTEXT line, never kept, quotes the row), which must
 * not reach a log.
 */
export function toolError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^\s*CONTEXT/.test(l));
  const line = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no message';
  return line
    .replace(/"[^"]*"?/g, '"…"')
    .replace(/'[^']*'?/g, "'…'")
    .slice(0, 200);
}
