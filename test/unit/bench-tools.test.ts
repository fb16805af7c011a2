import { describe, expect, it } from 'vitest';
import { benchPrefix } from '../../bench/databases';
import { parseStat, vmHwmKb } from '../../bench/peak-rss';
import { pgloaderCommand } from '../../bench/pgloader-command';
import { toolError } from '../../bench/shell';

describe('bench tools', () => {
  it('reads the peak RSS and the parent of a /proc entry', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  323456 kB\nVmRSS:\t  300000 kB\n';
    expect(vmHwmKb(status)).toBe(323456);
    expect(vmHwmKb('Name:\tkthreadd\n')).toBeNull();
    // A command name may hold spaces and parentheses.
    expect(parseStat('4242 (node (x) y) S 4100 4242 4100 0 -1')).toEqual({
      comm: 'node (x) y',
      ppid: 4100,
    });
    expect(parseStat('garbage')).toBeNull();
  });

  it('builds pgloader the primary key only, after its COPY, with the given tuning', () => {
    const command = pgloaderCommand({
      table: 'procedurelog',
      primaryKey: ['ProcNum'],
      mysqlDatabase: 'x_replica',
      pgDatabase: 'x_pgloader',
      tuning: { workers: 2, concurrency: 2, multipleReaders: true, rowsPerRange: 50_000 },
    });
    expect(command).toContain('create no indexes');
    expect(command).not.toMatch(/create indexes/);
    expect(command).toContain('workers = 2, concurrency = 2, multiple readers per thread');
    expect(command).toContain('rows per range = 50000');
    expect(command).not.toContain('prefetch rows');
    expect(command).toMatch(
      /AFTER LOAD DO \$\$ ALTER TABLE "x_replica"\."procedurelog" ADD PRIMARY KEY \("procnum"\) \$\$;\n$/,
    );
  });

  it('keeps a tool error line and redacts what it quotes', () => {
    const stderr =
      'ERROR:  invalid input syntax for type integer: "Smith, John"\nCONTEXT:  COPY t, line 3, column c: "Smith, John"\n';
    const message = toolError(stderr);
    expect(message).toBe('ERROR:  invalid input syntax for type integer: "…"');
    expect(message).not.toContain('Smith');
  });

  it('takes a database prefix that is an identifier only', () => {
    expect(benchPrefix(undefined)).toBe('etl_bench');
    expect(benchPrefix('etl_benchfix')).toBe('etl_benchfix');
    expect(() => benchPrefix('x; DROP DATABASE y')).toThrow(/BENCH_PREFIX/);
  });
});
