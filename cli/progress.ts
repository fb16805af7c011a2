/**
 * Progress of a local run. In a terminal: one live line per running table (stage, rows so far,
 * rows/s of its last stage, elapsed), redrawn in place, and one permanent line per finished
 * table. Elsewhere (logs, CI, pipes): plain lines, one when a table's stage starts and one when it
 * ends.
 */
export interface Progress {
  stageStarted(table: string, stage: string, runner: string): void;
  stageDone(table: string, stage: string, rows: number, seconds: number): void;
  stageFailed(table: string, stage: string, errorClass: string): void;
  /** Any other line (alerts, the summary): printed above the live lines. */
  line(text: string): void;
  stop(): void;
}

const rate = (rows: number, seconds: number) =>
  Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en-US');
const clock = () => new Date().toISOString().slice(11, 19);

export function plainProgress(out: (line: string) => void): Progress {
  return {
    stageStarted: (table, stage, runner) =>
      out(`${clock()} ${table.padEnd(28)} ${stage.padEnd(9)} started (${runner})`),
    stageDone: (table, stage, rows, seconds) =>
      out(
        `${clock()} ${table.padEnd(28)} ${stage.padEnd(9)} done: ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s (${rate(rows, seconds)} rows/s)`,
      ),
    stageFailed: (table, stage, errorClass) =>
      out(`${clock()} ${table.padEnd(28)} ${stage.padEnd(9)} FAILED: ${errorClass}`),
    line: out,
    stop: () => {},
  };
}

interface Running {
  stage: string;
  rows: number;
  lastRate: string;
  started: number;
  stages: string[];
}

export function terminalProgress(
  stream: { write(text: string): unknown },
  refreshMs = 250,
): Progress {
  const running = new Map<string, Running>();
  let drawn = 0;
  const clear = () => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (let i = 0; i < drawn; i++) stream.write('\x1b[2K\n');
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    drawn = 0;
  };
  const draw = () => {
    clear();
    for (const [table, r] of running) {
      const elapsed = ((Date.now() - r.started) / 1000).toFixed(1);
      stream.write(
        `  ▸ ${table.padEnd(28)} ${r.stage.padEnd(9)} ${r.rows.toLocaleString('en-US').padStart(11)} rows  ${r.lastRate.padStart(9)} rows/s  ${elapsed.padStart(6)} s\n`,
      );
      drawn++;
    }
  };
  const permanent = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };
  const timer = setInterval(draw, refreshMs);
  timer.unref();
  return {
    stageStarted(table, stage) {
      const r = running.get(table) ?? {
        stage,
        rows: 0,
        lastRate: '-',
        started: Date.now(),
        stages: [],
      };
      r.stage = stage;
      running.set(table, r);
      draw();
    },
    stageDone(table, stage, rows, seconds) {
      const r = running.get(table);
      if (!r) return;
      r.rows += rows;
      r.lastRate = rate(rows, seconds);
      r.stages.push(`${stage} ${rows.toLocaleString('en-US')}`);
      if (stage === 'transform') {
        running.delete(table);
        permanent(
          `✓ ${table.padEnd(28)} ${r.stages.join(' · ')}  (${((Date.now() - r.started) / 1000).toFixed(1)} s)`,
        );
      } else draw();
    },
    stageFailed(table, stage, errorClass) {
      running.delete(table);
      permanent(`✗ ${table.padEnd(28)} failed in ${stage}: ${errorClass}`);
    },
    line: permanent,
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}
