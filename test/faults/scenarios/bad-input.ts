import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadConfig } from '../../../config/load-config';
import { ConfigError } from '../../../contract/errors';
import { quoteMysql, quotePg } from '../../../core/db/identifiers';
import { openPg } from '../../../core/db/pg-adapter';
import { rejectMalformedTableNames } from '../../../core/pipeline/plan-run';
import { cli } from '../cli-child';
import { CANARY } from '../emitted-output';
import { type FaultBench, TABLES } from '../fault-bench';
import { expectConverged } from '../run-expectations';

/** Bad configuration, table names, grants, hosts and tables: clear failures, no secret echoed. */

/** Malformed YAML, wrong types and missing variables, with canary passwords in the files. */
export function rejectBadConfigFiles(bench: FaultBench): void {
  const cases: [string, string, RegExp][] = [
    [
      'malformed.yml',
      `connections:\n  source: { password: ${CANARY.sourcePassword}\n  replication: [\n`,
      /malformed\.yml:\d+:\d+/,
    ],
    [
      'types.yml',
      `general: { batch_size: lots }\nconnections:\n  source: { port: ${CANARY.sourcePassword} }\n`,
      /general\.batch_size/,
    ],
    [
      'env.yml',
      `connections:\n  source: { password: "\${OD_PASSWORD_NOT_SET}", user: "\${OD_USER_NOT_SET}" }\n`,
      /OD_PASSWORD_NOT_SET[\s\S]*OD_USER_NOT_SET|OD_USER_NOT_SET[\s\S]*OD_PASSWORD_NOT_SET/,
    ],
  ];
  for (const [file, text, expected] of cases) {
    writeFileSync(join(bench.dir, file), text);
    let message = '';
    try {
      loadConfig({ path: join(bench.dir, file), env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    bench.emitted.add(`config error ${file}`, message);
    expect(message).toMatch(expected);
  }
}

/** Malformed table names, through the plan check, the CLI and the state machine. */
export async function rejectMalformedTableNamesEverywhere(bench: FaultBench): Promise<void> {
  writeFileSync(
    join(bench.dir, 'unreachable.yml'),
    'connections:\n  source: { port: 1 }\n  replication: { port: 1 }\n  analytics: { port: 1 }\n',
  );
  const names = [
    'patient; DROP TABLE x',
    'pat`ient',
    "patient' OR '1'='1",
    'p\u0430tient', // Cyrillic a
    'patient--',
    '../patient',
  ];
  for (const name of names)
    expect(() => rejectMalformedTableNames({ tables: ['patient', name] })).toThrow(ConfigError);
  for (const name of [names[0] as string, names[3] as string]) {
    // Every database is unreachable: exit 2 (usage) rather than 3 (connection) proves no
    // connection was even tried.
    const { code, out } = await cli(bench, ['run', '--config', 'unreachable.yml', '--tables', name])
      .done;
    expect(code).toBe(2);
    expect(out).toMatch(/not identifiers/);
    expect(out).not.toContain(name);
  }
  // The state machine input is checked the same way, and the source keeps its tables.
  const result = await bench.run({ tables: ['patient; DROP TABLE x'] });
  expect(result.status).toBe('failed');
  expect(result.error).toBe('ConfigError');
  const [left] = await bench.admin.queryArrays(
    'SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [bench.names.source],
  );
  expect(Number(left?.[0])).toBe(422);
}

/**
 * A source user that cannot read commlog: only commlog fails, on the first night the source wrote
 * it (a table the source has not written since it was verified is not read at all).
 */
export async function failOnlyTheUnreadableTable(bench: FaultBench): Promise<void> {
  await bench.admin.execute(
    `UPDATE ${quoteMysql(bench.names.source)}.commlog SET Note = CONCAT(Note, '.') ORDER BY CommlogNum LIMIT 1`,
  );
  const user = `etlf_lim_${process.pid}`;
  await bench.admin.execute(`DROP USER IF EXISTS '${user}'@'%'`);
  await bench.admin.execute(`CREATE USER '${user}'@'%' IDENTIFIED BY '${CANARY.sourcePassword}'`);
  const src = quoteMysql(bench.names.source);
  for (const table of TABLES.filter((t) => t !== 'commlog'))
    await bench.admin.execute(`GRANT SELECT ON ${src}.${quoteMysql(table)} TO '${user}'@'%'`);
  // Only the key column of commlog: the table is visible, its rows are not readable.
  await bench.admin.execute(`GRANT SELECT (CommlogNum) ON ${src}.commlog TO '${user}'@'%'`);
  try {
    const pipeline = structuredClone(bench.config.pipeline);
    pipeline.connections.source.user = user;
    const alerts: string[] = [];
    const result = await bench.run(undefined, {
      config: { ...bench.config, pipeline },
      alertSink: (alert) => {
        alerts.push(`${alert.subject} ${alert.message}`);
      },
    });
    expect(result.status).toBe('failed');
    expect(alerts.join('\n')).toMatch(/commlog failed in stage extract with PermissionDeniedError/);
    expect(alerts.join('\n')).not.toMatch(/patient failed|procedurelog failed/);
    expect(
      result.outputs
        .filter((o) => o.stage === 'transform')
        .map((o) => o.table)
        .sort(),
    ).toEqual(TABLES.filter((t) => t !== 'commlog').sort());
  } finally {
    await bench.admin.execute(`DROP USER IF EXISTS '${user}'@'%'`);
  }
  await expectConverged(bench);
}

/** A source host that never answers. */
export async function failFastOnUnreachableHost(bench: FaultBench): Promise<void> {
  writeFileSync(
    join(bench.dir, 'blackhole.yml'),
    `connections:\n  source: { host: 10.255.255.1, connect_timeout_seconds: 2, password: ${CANARY.sourcePassword} }\n`,
  );
  const { code, out } = await cli(bench, ['run', '--config', 'blackhole.yml']).done;
  expect(code).toBe(3);
  expect(out).toMatch(/ConnectionTimeoutError/);
  expect(out).toMatch(/source/);
}

/** A source table without a primary key, with an insert and a delete between runs. */
export async function copyKeylessTableWhole(bench: FaultBench): Promise<void> {
  const src = quoteMysql(bench.names.source);
  await bench.admin.execute(
    `CREATE TABLE IF NOT EXISTS ${src}.etl_nokey_notes (PatNum BIGINT NOT NULL, Note TEXT NOT NULL) ENGINE=MyISAM`,
  );
  await bench.admin.execute(
    `INSERT INTO ${src}.etl_nokey_notes VALUES (1, ?), (1, ?), (2, 'second visit')`,
    [CANARY.note, CANARY.note],
  );
  // The plan says why (a run's own items carry no reasons: a dry run's plan does).
  const planned = await bench.run({ tables: ['etl_nokey_notes'], dryRun: true });
  const plan = planned.output as { tables?: { strategy: string; strategyReason: string }[] };
  expect(plan.tables?.[0]).toMatchObject({ strategy: 'full', strategyReason: /no primary key/ });
  const first = await bench.run({ tables: ['etl_nokey_notes'] });
  expect(first.status, `${first.error}: ${first.cause}`).toBe('succeeded');
  await bench.admin.execute(`DELETE FROM ${src}.etl_nokey_notes WHERE PatNum = 2`);
  const second = await bench.run({ tables: ['etl_nokey_notes'] });
  expect(second.status).toBe('succeeded');
  const analytics = await openPg(bench.config.pipeline.connections.analytics, { label: 'check' });
  try {
    for (const schema of ['raw', 'public']) {
      const [row] = await analytics.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${quotePg(schema)}.etl_nokey_notes`,
      );
      expect(row?.n).toBe('2');
    }
  } finally {
    await analytics.close();
  }
  await bench.admin.execute(`DROP TABLE ${src}.etl_nokey_notes`);
}
