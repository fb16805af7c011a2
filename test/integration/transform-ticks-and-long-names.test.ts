import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotePg } from '../../core/db/identifiers';
import { openPg } from '../../core/db/pg-adapter';
import type { PgSession } from '../../core/db/ports';
import { rawColumnComment } from '../../core/handoff/raw-columns';
import { memoryLogger } from '../../core/logging/logger';
import { transformTable } from '../../core/transform/transform-table';
import { comparePublicWithRaw } from '../helpers/compare-public';
import { LOCAL_PG, testDatabaseName } from '../helpers/local-databases';
import { dropPgDatabase } from '../helpers/pipeline-fixture';

/**
 * Edge values of the transform on a scratch PostgreSQL database whose raw tables are built
 * directly (as the load would leave them: lowercased names, comments naming the MySQL column):
 * .NET tick durations at both bigint extremes, and a column name longer than PostgreSQL keeps.
 */
const DATABASE = testDatabaseName('tticks');
const SCHEMAS = { raw: 'raw', public: 'public', meta: 'etl_meta' };
let admin: PgSession;
let pg: PgSession;

const transform = (table: string, runId: string) =>
  transformTable(
    { analytics: pg, schemas: SCHEMAS, logger: memoryLogger() },
    { runId, table, mode: 'incremental' },
  );

/** A raw table as the load creates it: `[MySQL name, MySQL type, PostgreSQL type]` per column. */
async function createRawTable(table: string, columns: [string, string, string][]): Promise<void> {
  const raw = `raw.${quotePg(table)}`;
  const [key] = columns;
  await pg.query(
    `CREATE TABLE ${raw} (${columns.map(([name, , type]) => `${quotePg(name.toLowerCase())} ${type}`).join(', ')},
       _etl_loaded_at timestamptz NOT NULL DEFAULT now(), _etl_run_id text NOT NULL DEFAULT 'r1',
       PRIMARY KEY (${quotePg((key as [string, string, string])[0].toLowerCase())}))`,
  );
  for (const [name, mysqlType] of columns) {
    const comment = rawColumnComment({ source: name, mysqlType }).replaceAll("'", "''");
    await pg.query(`COMMENT ON COLUMN ${raw}.${quotePg(name.toLowerCase())} IS '${comment}'`);
  }
}

/** How PostgreSQL prints an interval of only microseconds (no days or months). */
function intervalText(micros: bigint): string {
  const abs = micros < 0n ? -micros : micros;
  const two = (n: bigint) => n.toString().padStart(2, '0');
  const fraction = abs % 1_000_000n;
  return `${micros < 0n ? '-' : ''}${two(abs / 3_600_000_000n)}:${two((abs / 60_000_000n) % 60n)}:${two((abs / 1_000_000n) % 60n)}${
    fraction === 0n ? '' : `.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}`
  }`;
}

beforeAll(async () => {
  admin = await openPg(LOCAL_PG, { label: 'test-admin' });
  await dropPgDatabase(admin, DATABASE);
  await admin.query(`CREATE DATABASE ${quotePg(DATABASE)}`);
  pg = await openPg({ ...LOCAL_PG, database: DATABASE }, { label: 'analytics' });
  await pg.query('CREATE SCHEMA raw');
});

afterAll(async () => {
  await pg?.close();
  if (admin) {
    await dropPgDatabase(admin, DATABASE);
    await admin.close();
  }
});

describe('.NET tick durations', () => {
  const TICKS: Record<string, string | null> = {
    1: '9223372036854775807', // TimeSpan.MaxValue
    2: '-9223372036854775808', // TimeSpan.MinValue
    3: '0',
    4: '18000000000', // 30 minutes
    5: '15', // 1.5 µs: the half microsecond is dropped
    6: '-15',
    7: '35999999999', // just under an hour
    8: '-864000000009', // a day and 0.9 µs, negative
    9: '1234567890123456789',
    10: null,
  };
  const expectedMicros = (ticks: string) => BigInt(ticks) / 10n; // truncates toward zero

  async function publicTicks(): Promise<Record<string, { micros: string; text: string } | null>> {
    const rows = await pg.query<{ k: string; micros: string | null; text: string | null }>(
      `SELECT appt_reminder_rule_num::text AS k, trunc(extract(epoch from ts_prior) * 1000000)::text AS micros, ts_prior::text AS text
         FROM public.apptreminderrule ORDER BY 1`,
    );
    return Object.fromEntries(
      rows.map((r) => [r.k, r.micros === null ? null : { micros: r.micros, text: String(r.text) }]),
    );
  }

  const expected = (ticks: Record<string, string | null>) =>
    Object.fromEntries(
      Object.entries(ticks).map(([k, t]) => [
        k,
        t === null
          ? null
          : { micros: expectedMicros(t).toString(), text: intervalText(expectedMicros(t)) },
      ]),
    );

  it('become the exact interval, to the microsecond, at both bigint extremes', async () => {
    await createRawTable('apptreminderrule', [
      ['ApptReminderRuleNum', 'bigint(20)', 'bigint NOT NULL'],
      ['TSPrior', 'bigint(20)', 'bigint'],
    ]);
    for (const [key, ticks] of Object.entries(TICKS))
      await pg.query('INSERT INTO raw.apptreminderrule VALUES ($1, $2)', [key, ticks]);

    const result = await transform('apptreminderrule', 'r1');
    expect(result.mode).toBe('full');
    const [type] = await pg.query<{ t: string }>(
      `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.apptreminderrule'::regclass AND attname = 'ts_prior'`,
    );
    expect(type?.t).toBe('interval');
    expect(await publicTicks()).toEqual(expected(TICKS));
    expect((await publicTicks())[1]?.text).toBe('256204778:48:05.47758');
  });

  it('stay exact through the incremental apply', async () => {
    const changed: Record<string, string | null> = {
      ...TICKS,
      1: '-9223372036854775808',
      2: '9223372036854775807',
      3: '7', // 0.7 µs: still 0 in public, so no upsert for this key
    };
    for (const key of ['1', '2', '3']) {
      await pg.query(
        'UPDATE raw.apptreminderrule SET tsprior = $2 WHERE apptreminderrulenum = $1',
        [key, changed[key]],
      );
      await pg.query(
        `INSERT INTO etl_meta.raw_changelog (table_name, op, pk, run_id) VALUES ('apptreminderrule', 'U', $1, 'r2')`,
        [key],
      );
    }
    const result = await transform('apptreminderrule', 'r2');
    expect(result).toMatchObject({ mode: 'incremental', rowsUpserted: 2 });
    expect(await publicTicks()).toEqual(expected(changed));
  });
});

describe('a column name longer than PostgreSQL keeps', () => {
  const SHORT = 'performing_organization_name_assigning_authority_unive_32903c5b';

  it('reaches public under its short name, with a comment naming the source column', async () => {
    await createRawTable('ehrlabresult', [
      ['EhrLabResultNum', 'bigint(20)', 'bigint NOT NULL'],
      [
        'PerformingOrganizationNameAssigningAuthorityUniversalId',
        'varchar(255)',
        'character varying(255)',
      ],
      [
        'PerformingOrganizationNameAssigningAuthorityUniversalIdType',
        'varchar(255)',
        'character varying(255)',
      ],
    ]);
    await pg.query(
      `INSERT INTO raw.ehrlabresult VALUES (1, '2.16.840.1.113883.3.72', 'ISO'), (2, NULL, 'DNS')`,
    );

    expect(await transform('ehrlabresult', 'r1')).toMatchObject({ mode: 'full' });
    const columns = await pg.query<{ name: string; comment: string }>(
      `SELECT attname AS name, col_description(attrelid, attnum) AS comment FROM pg_attribute
        WHERE attrelid = 'public.ehrlabresult'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    );
    expect(columns.map((c) => c.name)).toEqual([
      'ehr_lab_result_num',
      'performing_organization_name_assigning_authority_universal_id',
      SHORT,
      '_etl_loaded_at',
      '_etl_run_id',
    ]);
    const comment = columns.find((c) => c.name === SHORT)?.comment;
    expect(comment).toContain(
      'From raw.ehrlabresult.performingorganizationnameassigningauthorityuniversalidtype',
    );
    expect(comment).toContain('performing_organization_name_assigning_authority_universal_id_type');
    expect(comment).toContain('PerformingOrganizationNameAssigningAuthorityUniversalIdType');
    const rows = await pg.query<Record<string, string>>(
      `SELECT ehr_lab_result_num::text AS k, ${quotePg(SHORT)} AS v FROM public.ehrlabresult ORDER BY 1`,
    );
    expect(rows).toEqual([
      { k: '1', v: 'ISO' },
      { k: '2', v: 'DNS' },
    ]);
    expect(await comparePublicWithRaw(pg, ['ehrlabresult', 'apptreminderrule'])).toEqual([]);
  });

  it('is found again by the next run, which applies raw’s changes instead of rebuilding', async () => {
    // PostgreSQL's silent cut made the catalog's name differ from the transform's, so every run
    // saw "raw columns changed" and rebuilt the table.
    await pg.query(
      `UPDATE raw.ehrlabresult SET performingorganizationnameassigningauthorityuniversalidtype = 'GUID' WHERE ehrlabresultnum = 2`,
    );
    await pg.query(
      `INSERT INTO etl_meta.raw_changelog (table_name, op, pk, run_id) VALUES ('ehrlabresult', 'U', '2', 'r2')`,
    );
    expect(await transform('ehrlabresult', 'r2')).toMatchObject({
      mode: 'incremental',
      rowsUpserted: 1,
    });
    expect(await comparePublicWithRaw(pg, ['ehrlabresult'])).toEqual([]);
  });
});
