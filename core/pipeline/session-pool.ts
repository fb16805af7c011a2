import type { ConnectionConfig, PipelineConfig } from '../../config/schema';
import type { StageName } from '../../contract/stage';
import { openMysql } from '../db/mysql-adapter';
import { openPg } from '../db/pg-adapter';
import type { MysqlSession, PgSession } from '../db/ports';

/** The sessions a stage can work with: the read-only source, the replica writer, the analytics database. */
export interface SessionsByRole {
  source: MysqlSession;
  replica: MysqlSession;
  analytics: PgSession;
}
export type SessionRole = keyof SessionsByRole;

/** The sessions one stage task holds: always analytics (its run history), and the stage's own roles. */
export type StageSessions = Partial<SessionsByRole> & { analytics: PgSession };

type Session = MysqlSession | PgSession;
interface IdleSession {
  session: Session;
  since: number;
}

/** How each role's session is opened: the source read-only, the replica able to LOAD DATA LOCAL. */
const OPENERS: {
  [R in SessionRole]: (
    config: PipelineConfig,
  ) => [ConnectionConfig, () => Promise<SessionsByRole[R]>];
} = {
  analytics: ({ connections }) => [
    connections.analytics,
    () => openPg(connections.analytics, { label: 'analytics' }),
  ],
  source: ({ connections }) => [
    connections.source,
    () => openMysql(connections.source, { label: 'source', readOnly: true }),
  ],
  replica: ({ connections }) => [
    connections.replication,
    () =>
      openMysql(connections.replication, {
        label: 'replication',
        readOnly: false,
        localInfile: true,
      }),
  ],
};

/**
 * The sessions of a stage task (analytics first, then `roles`), obtained through `get` (open now,
 * or take from a pool). On a failure the ones already obtained are closed.
 */
async function stageSessions(
  config: PipelineConfig,
  roles: readonly SessionRole[],
  get: <S extends Session>(
    role: SessionRole,
    connection: ConnectionConfig,
    open: () => Promise<S>,
  ) => Promise<S>,
): Promise<StageSessions> {
  const opened: Partial<SessionsByRole> = {};
  try {
    for (const role of ['analytics', ...roles.filter((r) => r !== 'analytics')] as SessionRole[]) {
      const [connection, open] = OPENERS[role](config);
      Object.assign(opened, {
        [role]: await get(role, connection, open as () => Promise<Session>),
      });
    }
  } catch (error) {
    await closeSessions(opened);
    throw error;
  }
  return opened as StageSessions;
}

/** One task's sessions, opened now and closed by `closeSessions`. */
export function openStageSessions(
  config: PipelineConfig,
  roles: readonly SessionRole[],
): Promise<StageSessions> {
  return stageSessions(config, roles, (_role, _connection, open) => open());
}

export async function closeSessions(sessions: Partial<SessionsByRole>): Promise<void> {
  await Promise.all(Object.values(sessions).map((s) => s?.close().catch(() => {})));
}

/**
 * Keeps the sessions of finished stage tasks for the next task of the same stage, so a run of
 * hundreds of small tables does not open three connections per task (the local runner holds one
 * per run; a warm Lambda container one per container). A session is reused only after a task
 * that succeeded, only by the same stage (whose session settings it carries), and only if it
 * still answers a ping; sessions idle longer than `maxIdleMs` are closed instead.
 */
export class StageSessionPool {
  private readonly idle = new Map<string, IdleSession[]>();
  private readonly keys = new WeakMap<Session, string>();
  private readonly maxIdleMs: number;
  private readonly now: () => number;

  constructor(options: { maxIdleMs?: number; now?: () => number } = {}) {
    this.maxIdleMs = options.maxIdleMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  acquire(
    config: PipelineConfig,
    stage: StageName,
    roles: readonly SessionRole[],
  ): Promise<StageSessions> {
    return stageSessions(config, roles, (role, connection, open) =>
      this.take(poolKey(stage, role, connection), open),
    );
  }

  /** After a success the sessions wait for the next task; after a failure their state is unknown: closed. */
  async release(sessions: Partial<SessionsByRole>, succeeded: boolean): Promise<void> {
    if (!succeeded) return closeSessions(sessions);
    for (const session of Object.values(sessions)) {
      const key = session && this.keys.get(session);
      if (!session || !key) continue;
      const list = this.idle.get(key) ?? [];
      list.push({ session, since: this.now() });
      this.idle.set(key, list);
    }
  }

  /** Idle sessions held now (for tests and progress). */
  get idleCount(): number {
    return [...this.idle.values()].reduce((n, list) => n + list.length, 0);
  }

  async close(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((i) => i.session.close().catch(() => {})));
  }

  private async take<S extends Session>(key: string, open: () => Promise<S>): Promise<S> {
    const list = this.idle.get(key) ?? [];
    for (let idle = list.pop(); idle; idle = list.pop()) {
      const session = idle.session as S;
      if (this.now() - idle.since <= this.maxIdleMs && (await answers(session))) return session;
      await session.close().catch(() => {});
    }
    const session = await open();
    this.keys.set(session, key);
    return session;
  }
}

function poolKey(stage: StageName, role: string, c: ConnectionConfig): string {
  return JSON.stringify([stage, role, c.host, c.port, c.database, c.user]);
}

async function answers(session: Session): Promise<boolean> {
  try {
    await session.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
