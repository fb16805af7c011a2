import { describe, expect, it } from 'vitest';
import { oncePerSession } from '../../core/db/once-per-session';

describe('oncePerSession', () => {
  it('runs a set-up step once per session and key', async () => {
    const calls: string[] = [];
    const a = {};
    const b = {};
    const step = (name: string) => async () => {
      calls.push(name);
    };
    await oncePerSession(a, 'meta', step('a-meta'));
    await oncePerSession(a, 'meta', step('a-meta-again'));
    await oncePerSession(a, 'other', step('a-other'));
    await oncePerSession(b, 'meta', step('b-meta'));
    expect(calls).toEqual(['a-meta', 'a-other', 'b-meta']);
  });

  it('shares one running set-up between concurrent callers', async () => {
    let runs = 0;
    const session = {};
    const step = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 5));
    };
    await Promise.all([1, 2, 3].map(() => oncePerSession(session, 'meta', step)));
    expect(runs).toBe(1);
  });

  it('forgets a failed set-up, so the next call tries again', async () => {
    const session = {};
    await expect(
      oncePerSession(session, 'meta', async () => {
        throw new Error('lock timeout');
      }),
    ).rejects.toThrow('lock timeout');
    let ran = false;
    await oncePerSession(session, 'meta', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
