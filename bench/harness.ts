import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Alternates a project run (A) and a baseline run (B) — A B A B … — so that both see the same
 * machine state, and reports medians and the ratio. Speed is only ever judged as such ratios
 * measured in one run, never as absolute timings in tests.
 */
export interface Comparison {
  name: string;
  unit: 'rows/s';
  rows: number;
  project: { label: string; runsSeconds: number[]; median: number };
  baseline: { label: string; runsSeconds: number[]; median: number };
  /** project rows/s divided by baseline rows/s (> 1: the project is faster). */
  ratio: number;
}

/** One side of a comparison: `prepare` (untimed, e.g. a fresh target database) then `run` (timed). */
export interface Side {
  label: string;
  prepare?: () => Promise<void>;
  run: () => Promise<void>;
}

export async function compare(options: {
  name: string;
  rows: number;
  repeats: number;
  project: Side;
  baseline: Side;
  before?: () => Promise<void>;
}): Promise<Comparison> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    for (const [side, into] of [
      [options.project, a],
      [options.baseline, b],
    ] as const) {
      await options.before?.();
      await side.prepare?.();
      const t0 = process.hrtime.bigint();
      await side.run();
      into.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const rate = (seconds: number) => options.rows / seconds;
  const result: Comparison = {
    name: options.name,
    unit: 'rows/s',
    rows: options.rows,
    project: { label: options.project.label, runsSeconds: a, median: median(a) },
    baseline: { label: options.baseline.label, runsSeconds: b, median: median(b) },
    ratio: rate(median(a)) / rate(median(b)),
  };
  console.log(
    `${options.name}: ${options.project.label} ${Math.round(rate(median(a))).toLocaleString('en-US')} rows/s, ` +
      `${options.baseline.label} ${Math.round(rate(median(b))).toLocaleString('en-US')} rows/s, ratio ${result.ratio.toFixed(2)}`,
  );
  return result;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Writes `bench/results/<date>.json` (not committed) and returns its path. */
export function saveResults(results: unknown, dir = 'bench/results'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(
    dir,
    `${new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '')}.json`,
  );
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
