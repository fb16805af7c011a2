import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SCALES, type Scale } from '../core/demo/scales';
import { type Comparison, saveResults } from './harness';
import { benchMemory } from './memory';
import { benchNight } from './night';
import { benchSeed } from './seed';
import { benchStages, prepareBenchSource } from './stages';

/**
 * `npm run bench -- [--scale tiny|small|clinic] [--suite all|stages|memory|night|seed] [--repeats N] [--tables a,b] [--rows N] [--reuse]`
 *
 * - stages: extract vs mariadb-dump | mariadb, load vs pgloader and vs the pipe ceiling, transform
 *   rows/s, on `--tables` (default procedurelog, securitylog) with 20 k / 200 k / 1 M generated
 *   rows for tiny / small / clinic;
 * - memory: peak RSS of one process extracting and loading the first table at two sizes
 *   (10 k/40 k, 100 k/400 k, 1 M/5 M rows);
 * - night: the whole demo clinic through the local state machine (--parallel 2) in full, then a
 *   hard day of changes (bench/night-day.ts) and the incremental run, every table then compared row
 *   for row;
 * - seed: the demo generator's LOAD DATA path vs multi-row INSERT (`--rows`, default 100 k).
 * Runs alternate project and baseline (A B A B …); medians and ratios go to the console and to
 * bench/results/<date>.json.
 */
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    suite: { type: 'string', default: 'all' },
    repeats: { type: 'string', default: '3' },
    tables: { type: 'string', default: 'procedurelog,securitylog' },
    rows: { type: 'string', default: '100000' },
    reuse: { type: 'boolean', default: false },
  },
});
if (!SCALES.includes(values.scale as Scale))
  throw new Error(`--scale must be one of ${SCALES.join(', ')}`);
const scale = values.scale as Scale;
const repeats = Number(values.repeats);
const STAGE_ROWS: Record<Scale, number> = { tiny: 20_000, small: 200_000, clinic: 1_000_000 };

const results: Comparison[] = [];
if (values.suite === 'all' || values.suite === 'stages') {
  ensurePgloader();
  const tables = String(values.tables).split(',');
  await prepareBenchSource(tables, STAGE_ROWS[scale]);
  results.push(...(await benchStages(tables, STAGE_ROWS[scale], repeats)));
}
const MEMORY_SIZES: Record<Scale, number[]> = {
  tiny: [10_000, 40_000],
  small: [100_000, 400_000],
  clinic: [1_000_000, 5_000_000],
};
const memory: Awaited<ReturnType<typeof benchMemory>> = [];
if (values.suite === 'all' || values.suite === 'memory') {
  memory.push(
    ...(await benchMemory(
      String(values.tables).split(',')[0] ?? 'procedurelog',
      MEMORY_SIZES[scale],
    )),
  );
}
let night: Awaited<ReturnType<typeof benchNight>> | null = null;
if (values.suite === 'all' || values.suite === 'night')
  night = await benchNight(scale, { reuse: values.reuse });
if (values.suite === 'all' || values.suite === 'seed') {
  results.push(await benchSeed(scale, Number(values.rows), repeats));
}
console.log(
  `results: ${saveResults({ date: new Date().toISOString(), scale, results, memory, night })}`,
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
