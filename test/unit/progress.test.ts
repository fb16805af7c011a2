import { describe, expect, it } from 'vitest';
import { plainProgress, terminalProgress } from '../../cli/progress';

describe('run progress', () => {
  it('in a terminal: one live line per running table, a permanent line per finished table', () => {
    const writes: string[] = [];
    const progress = terminalProgress({ write: (t: string) => writes.push(t) }, 60_000);
    progress.stageStarted('patient', 'extract', 'lambda');
    progress.stageStarted('procedurelog', 'extract', 'lambda');
    progress.stageDone('patient', 'extract', 527, 0.5);
    const live = writes.filter((w) => w.startsWith('  ▸ '));
    expect(live.at(-2)).toMatch(/^ {2}▸ patient\s+extract\s+527 rows\s+1,054 rows\/s/);
    expect(live.at(-1)).toMatch(/^ {2}▸ procedurelog\s+extract\s+0 rows\s+- rows\/s/);
    progress.stageStarted('patient', 'load', 'lambda');
    progress.stageDone('patient', 'load', 527, 1);
    progress.stageStarted('patient', 'transform', 'lambda');
    progress.stageDone('patient', 'transform', 527, 1);
    expect(writes.filter((w) => w.startsWith('✓ '))).toEqual([
      expect.stringMatching(
        /^✓ patient\s+extract 527 · load 527 · transform 527 {2}\(\d+\.\d s\)\n$/,
      ),
    ]);
    progress.stageFailed('procedurelog', 'extract', 'DeadlockError');
    expect(writes.filter((w) => w.startsWith('✗ '))).toEqual([
      expect.stringMatching(/^✗ procedurelog\s+failed in extract: DeadlockError\n$/),
    ]);
    progress.stop();
    // Every redraw moves the cursor back up over exactly the lines it drew.
    expect(writes.join('')).toContain('\u001b[2A');
  });

  it('elsewhere: plain start and end lines with rows and rows/s', () => {
    const lines: string[] = [];
    const progress = plainProgress((l) => lines.push(l));
    progress.stageStarted('patient', 'load', 'fargate');
    progress.stageDone('patient', 'load', 2000, 2);
    expect(lines[0]).toMatch(/patient\s+load\s+started \(fargate\)$/);
    expect(lines[1]).toMatch(/patient\s+load\s+done: 2,000 rows in 2.0 s \(1,000 rows\/s\)$/);
  });
});
