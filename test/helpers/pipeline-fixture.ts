import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type LoadedConfig, loadConfig } from '../../config/load-config';
import type { PipelineConfig } from '../../config/schema';
import { quoteMysql, quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import type { MysqlSession, PgSession } from '../../core/db/ports';
import {
  type ExtractDeps,
  type ExtractResult,
  extractTable,
} from '../../core/extract/extract-table';
import { type LoadDeps, type LoadResult, loadTable } from '../../core/load/load-table';
import { memoryLogger } from '../../core/logging/logger';
import { openStageSessions, type SessionsByRole } from '../../core/pipeline/session-pool';
import { stageDependencies } from '../../core/pipeline/stage-registry';
import {
  adminMysql,
  dropMysqlDatabases,
  LOCAL_PG,
  testDatabaseName,
  testPipelineConfig,
} from './local-databases';

/** A spread of the clinic for end-to-end runs: core tables, an append table, a reconcile table. */
export const CLINIC_SPREAD = [
  'patient',
  'appointment',
  'procedurelog',
  'claim',
  'paysplit',
  'securitylog',
  'definition',
  'commlog',
];

/**
 * One test file's private pipeline: a source database (filled by the caller), a replica and an
 * analytics PostgreSQL database, all named after the file's tag and the process id, with the
 * sessions each stage uses. `close()` drops everything.
 */
export interface PipelineFixture {
  names: { source: string; replica: string; analytics: string };
  /** The configuration of this fixture's three databases, as a run would load it. */
  config: PipelineConfig;
  admin: MysqlSession;
  pgAdmin: PgSession;
  extractDeps: ExtractDeps;
  loadDeps: LoadDeps;
  extract(
    table: string,
    runId: string,
    options?: Partial<Parameters<typeof extractTable>[1]>,
  ): Promise<ExtractResult>;
  load(
    table: string,
    runId: string,
    options?: Partial<Parameters<typeof loadTable>[1]>,
  ): Promise<LoadResult>;
  /**
   * Writes a `pipeline.yml` naming this fixture's databases (plus `extra` YAML) and, when given,
   * a `tables.yml` beside it in a new directory, and loads them as the CLI would.
   */
  writeConfig(options?: {
    extra?: string;
    tables?: string;
    env?: NodeJS.ProcessEnv;
  }): LoadedConfig & {
    dir: string;
  };
  /** Reopens the stage sessions (after a fault test killed one). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export async function createPipelineFixture(
  tag: string,
  options: { batchSize?: number } = {},
): Promise<PipelineFixture> {
  const names = {
    source: testDatabaseName(`${tag}_src`),
    replica: testDatabaseName(`${tag}_rep`),
    analytics: testDatabaseName(`${tag}_pg`),
  };
  const admin = await adminMysql();
  await dropMysqlDatabases(admin, names.replica);
  await admin.execute(`CREATE DATABASE ${quoteMysql(names.replica)}`);
  const pgAdmin = await openPg(LOCAL_PG, { label: 'test-admin' });
  await dropPgDatabase(pgAdmin, names.analytics);
  await pgAdmin.query(`CREATE DATABASE ${quotePg(names.analytics)}`);
  const config = testPipelineConfig(names, { batchSize: options.batchSize ?? 5000 });

  const open = async () =>
    (await openStageSessions(config, ['source', 'replica'])) as SessionsByRole;
  let sessions: SessionsByRole | null = null;
  const fixture: PipelineFixture = {
    names,
    config,
    admin,
    pgAdmin,
    extractDeps: undefined as unknown as ExtractDeps,
    loadDeps: undefined as unknown as LoadDeps,
    writeConfig({ extra = '', tables, env = {} } = {}) {
      const dir = mkdtempSync(join(tmpdir(), `etl-${tag}-`));
      writeFileSync(
        join(dir, 'pipeline.yml'),
        `connections:
  source: { database: ${names.source} }
  replication: { database: ${names.replica} }
  analytics: { database: ${names.analytics} }
${extra}`,
      );
      if (tables !== undefined) writeFileSync(join(dir, 'tables.yml'), tables);
      return { ...loadConfig({ path: join(dir, 'pipeline.yml'), env }), dir };
    },
    async reopen() {
      if (sessions)
        await Promise.all(Object.values(sessions).map((s) => s.close().catch(() => {})));
      sessions = await open();
      fixture.extractDeps = stageDependencies.extract(config, sessions, memoryLogger());
      fixture.loadDeps = stageDependencies.load(config, sessions, memoryLogger());
    },
    extract: (table, runId, extra = {}) =>
      extractTable(fixture.extractDeps, { runId, table, mode: 'incremental', ...extra }),
    load: (table, runId, extra = {}) =>
      loadTable(fixture.loadDeps, { runId, table, mode: 'incremental', ...extra }),
    async close() {
      if (sessions)
        await Promise.all(Object.values(sessions).map((s) => s.close().catch(() => {})));
      await dropMysqlDatabases(admin, names.source, names.replica);
      await dropPgDatabase(pgAdmin, names.analytics);
      await admin.close();
      await pgAdmin.close();
    },
  };
  return fixture;
}

export async function dropPgDatabase(pgAdmin: PgSession, name: string): Promise<void> {
  await pgAdmin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await pgAdmin.query(`DROP DATABASE IF EXISTS ${quotePg(name)}`);
}

/**
 * Fault injection for PostgreSQL: a session whose first `COPY` has its backend terminated by
 * the server (`pg_terminate_backend`) when the first chunk of rows is on its way, so the COPY is
 * genuinely cut in the middle.
 */
export function terminateDuringCopy(session: PgSession, pgAdmin: PgSession): PgSession {
  let fired = false;
  return {
    get processId() {
      return session.processId;
    },
    query: (sql, params) => session.query(sql, params),
    close: () => session.close(),
    copyFrom(sql) {
      const real = session.copyFrom(sql);
      if (fired) return real;
      fired = true;
      let sent = 0;
      let failure: Error | null = null;
      const wrapper = new Writable({
        write(chunk, encoding, done) {
          sent++;
          const kill =
            sent === 1
              ? pgAdmin
                  .query('SELECT pg_terminate_backend($1)', [session.processId])
                  .then(() => undefined)
              : Promise.resolve();
          kill.then(() => {
            // The terminated COPY has failed: report it instead of writing into a dead stream.
            if (failure || real.destroyed) done(failure ?? new Error('COPY stream closed'));
            else real.write(chunk, encoding, done);
          }, done);
        },
        final(done) {
          real.end(done);
        },
      });
      real.on('error', (error) => {
        failure = error;
        wrapper.destroy(error);
      });
      return wrapper;
    },
  };
}
