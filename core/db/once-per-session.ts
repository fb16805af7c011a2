const done = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Runs an idempotent set-up step (CREATE … IF NOT EXISTS and the like) once per open session:
 * a session reused by the next task (see StageSessionPool) skips what it already did. A failed
 * set-up is forgotten, so the next call tries again.
 */
export function oncePerSession(
  session: object,
  key: string,
  setUp: () => Promise<void>,
): Promise<void> {
  let steps = done.get(session);
  if (!steps) {
    steps = new Map();
    done.set(session, steps);
  }
  const known = steps.get(key);
  if (known) return known;
  const running = setUp().catch((error: unknown) => {
    steps.delete(key);
    throw error;
  });
  steps.set(key, running);
  return running;
}
