import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SCALES, type Scale } from '../core/demo/scales';
import { benchClinic, type ClinicCheck } from './clinic';
import { type Comparison, saveResults } from './harness';
import { benchMemory } from './memory';
import { benchNight } from './night';
import { benchSeed } from './seed';
import { prepareStageSources } from './stage-sources';
import { benchStages } from './stages';

/**
 * `npm run bench -- [--scale tiny|small|clinic] [--suite all|stages|memory|night|clinic|seed] [--repeats N] [--tables a,b] [--rows N[,N…]] [--reuse] [--check rows|verify]`
 *
 * Database names start with `$BENCH_PREFIX` (default `etl_bench`), so two benches can share the
 * servers.
 * - stages: extract (from a MyISAM source and from its InnoDB copy) vs mariadb-dump | mariadb,
 *   load vs pgloader and vs the pipe ceiling, transform rows/s, on `--tables` (default
 *   procedurelog, securitylog) with 20 k / 200 k / 1 M generated rows for tiny / small / clinic,
 *   or at each size of `--rows` (`--rows 200000,1000000`: both sizes in one measurement run);
 * - memory: peak RSS of one process extracting and loading the first table at two sizes
 *   (10 k/40 k, 100 k/400 k, 1 M/5 M rows);
 * - night: the whole demo clinic through the local state machine (--parallel 2) in full, then a
 *   hard day of changes (bench/night-day.ts) and the incremental run, every table then compared row
 *   for row;
 * - clinic: the whole demo clinic at `--scale` through the CLI (`etl-pipeline run --parallel 2
 *   --force`) vs its pipe ceiling in the same run, the run's peak RSS, the warehouse checked equal
 *   (`--check rows`: row for row, the default below clinic scale; `verify`: counts and checksums),
 *   and a one-table run's peak RSS (the first of `--tables`); `--reuse` keeps a seeded clinic;
 * - seed: the demo generator's LOAD DATA path vs multi-row INSERT (the first of `--rows`,
 *   default 100 k).
 * Runs alternate project and baseline (A B A B …); medians and ratios go to the console and to
 * bench/results/<date>.json.
 */
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    suite: { type: 'string', default: 'all' },
    repeats: { type: 'string', default: '3' },
    tables: { type: 'string', default: 'procedurelog,securitylog' },
    rows: { type: 'string' },
    reuse: { type: 'boolean', default: false },
    check: { type: 'string' },
  },
});
if (!SCALES.includes(values.scale as Scale))
  throw new Error(`--scale must be one of ${SCALES.join(', ')}`);
const SUITES = ['all', 'stages', 'memory', 'night', 'clinic', 'seed'];
if (!SUITES.includes(String(values.suite)))
  throw new Error(`--suite must be one of ${SUITES.join(', ')}`);
const scale = values.scale as Scale;
const repeats = Number(values.repeats);
const STAGE_ROWS: Record<Scale, number> = { tiny: 20_000, small: 200_000, clinic: 1_000_000 };
const rowsList = values.rows?.split(',').map(Number);
if (rowsList?.some((n) => !Number.isInteger(n) || n <= 0))
  throw new Error('--rows must be positive integers, comma-separated');
if (values.check !== undefined && !['rows', 'verify'].includes(values.check))
  throw new Error('--check must be rows or verify');
const tables = String(values.tables).split(',');

const results: Comparison[] = [];
if (values.suite === 'all' || values.suite === 'stages') {
  ensurePgloader();
  for (const rows of rowsList ?? [STAGE_ROWS[scale]]) {
    await prepareStageSources(tables, rows);
    results.push(...(await benchStages(tables, rows, repeats)));
  }
}
const MEMORY_SIZES: Record<Scale, number[]> = {
  tiny: [10_000, 40_000],
  small: [100_000, 400_000],
  clinic: [1_000_000, 5_000_000],
};
const memory: Awaited<ReturnType<typeof benchMemory>> = [];
if (values.suite === 'all' || values.suite === 'memory') {
  memory.push(...(await benchMemory(tables[0] ?? 'procedurelog', MEMORY_SIZES[scale])));
}
let night: Awaited<ReturnType<typeof benchNight>> | null = null;
if (values.suite === 'all' || values.suite === 'night')
  night = await benchNight(scale, { reuse: values.reuse });
let clinic: Awaited<ReturnType<typeof benchClinic>> | null = null;
if (values.suite === 'all' || values.suite === 'clinic')
  clinic = await benchClinic(scale, {
    reuse: values.reuse,
    check: values.check as ClinicCheck | undefined,
    oneTable: tables[0],
  });
if (values.suite === 'all' || values.suite === 'seed') {
  results.push(await benchSeed(scale, rowsList?.[0] ?? 100_000, repeats));
}
console.log(
  `results: ${saveResults({ date: new Date().toISOString(), scale, results, memory, night, clinic })}`,
);

/** The pgloader baseline is Debian's package: installed here when missing (root, as on this machine kind). */
function ensurePgloader(): void {
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('installing pgloader (Debian package) for the load baseline');
    execFileSync(
      'bash',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgloader',
      ],
      {
        stdio: 'inherit',
      },
    );
  }
}
