import type { MysqlSession, PgSession } from '../../core/db/ports';
import { StageSessionPool, type StageSessions } from '../../core/pipeline/session-pool';
import { beforeEachCall } from '../helpers/local-databases';
import { terminateDuringCopy } from '../helpers/pipeline-fixture';

type Session = MysqlSession | PgSession;

/**
 * The session pool of the real run, with a fault injector: per stage and role, `wrap` may put a
 * proxy around the production session (see `withStatementHook`, `terminateFirstCopy`), so a
 * scenario injects its fault (a real KILL CONNECTION, pg_terminate_backend) at a chosen point.
 */
export class HookedPool extends StageSessionPool {
  private readonly originals = new WeakMap<object, Session>();
  constructor(
    private readonly wrap: (stage: string, role: string, session: Session) => Session | undefined,
  ) {
    super();
  }

  override async acquire(...args: Parameters<StageSessionPool['acquire']>) {
    const [, stage] = args;
    const sessions = await super.acquire(...args);
    const wrapped: Record<string, Session> = {};
    for (const [role, session] of Object.entries(sessions) as [string, Session][]) {
      const proxy = this.wrap(stage, role, session) ?? session;
      this.originals.set(proxy, session);
      wrapped[role] = proxy;
    }
    return wrapped as unknown as StageSessions;
  }

  override async release(sessions: Partial<StageSessions>, succeeded: boolean) {
    const unwrapped = Object.fromEntries(
      Object.entries(sessions).map(([role, s]) => [role, s && (this.originals.get(s) ?? s)]),
    ) as Partial<StageSessions>;
    await super.release(unwrapped, succeeded);
  }
}

/** A session that runs `hook(sql)` before every statement (COPY streams pass through). */
export function withStatementHook(session: Session, hook: (sql: string) => Promise<void>): Session {
  if ('threadId' in session) return beforeEachCall(session, hook);
  const pg = session as PgSession;
  return {
    get processId() {
      return pg.processId;
    },
    async query(sql, params) {
      await hook(sql);
      return pg.query(sql, params);
    },
    copyFrom: (sql) => pg.copyFrom(sql),
    close: () => pg.close(),
  } as PgSession;
}

/** A session whose first COPY matching `pattern` has its backend terminated mid-stream. */
export function terminateFirstCopy(
  session: PgSession,
  pgAdmin: PgSession,
  pattern: RegExp,
  onFired: () => void,
): PgSession {
  const terminating = terminateDuringCopy(session, pgAdmin);
  let fired = false;
  return {
    get processId() {
      return session.processId;
    },
    query: (sql, params) => session.query(sql, params),
    close: () => session.close(),
    copyFrom(sql) {
      if (fired || !pattern.test(sql)) return session.copyFrom(sql);
      fired = true;
      onFired();
      return terminating.copyFrom(sql);
    },
  };
}
