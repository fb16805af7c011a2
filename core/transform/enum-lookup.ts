import { quotePg } from '../db/identifiers';
import { oncePerSession } from '../db/once-per-session';
import type { PgSession } from '../db/ports';
import { withDdlLock } from '../db/transactions';
import { odEnums } from '../opendental/reference';

export const ENUM_LOOKUP_TABLE = 'opendental_enum_values';

/**
 * Publishes every OpenDental enum as `public.opendental_enum_values (enum_name, code, label)`,
 * plus which column uses which enum (`opendental_enum_columns`), so analysts can join codes to
 * labels for any enum, not only the labelled columns. Rebuilt when its contents differ; one
 * transaction under the set-up lock, so concurrent transforms do not race.
 */
export async function ensureEnumLookup(pg: PgSession, schema: string): Promise<void> {
  await oncePerSession(pg, `enum-lookup:${schema}`, () => publishEnumLookup(pg, schema));
}

async function publishEnumLookup(pg: PgSession, schema: string): Promise<void> {
  const values = Object.entries(odEnums.enums).flatMap(([name, codes]) =>
    Object.entries(codes).map(([code, label]) => [name, code, label]),
  );
  const columns = Object.entries(odEnums.columns).flatMap(([table, byColumn]) =>
    Object.entries(byColumn).map(([column, name]) => [table, column, name]),
  );
  const lookup = `${quotePg(schema)}.${quotePg(ENUM_LOOKUP_TABLE)}`;
  const usage = `${quotePg(schema)}.opendental_enum_columns`;
  await withDdlLock(pg, async () => {
    await pg.query(`CREATE SCHEMA IF NOT EXISTS ${quotePg(schema)}`);
    await pg.query(
      `CREATE TABLE IF NOT EXISTS ${lookup} (enum_name text NOT NULL, code text NOT NULL, label text NOT NULL, PRIMARY KEY (enum_name, code))`,
    );
    await pg.query(
      `CREATE TABLE IF NOT EXISTS ${usage} (table_name text NOT NULL, column_name text NOT NULL, enum_name text NOT NULL, PRIMARY KEY (table_name, column_name))`,
    );
    const [count] = await pg.query<{ v: string; c: string }>(
      `SELECT (SELECT count(*) FROM ${lookup})::text AS v, (SELECT count(*) FROM ${usage})::text AS c`,
    );
    if (Number(count?.v) === values.length && Number(count?.c) === columns.length) return;
    await pg.query(`TRUNCATE ${lookup}, ${usage}`);
    await pg.query(
      `INSERT INTO ${lookup} SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [values.map((v) => v[0]), values.map((v) => v[1]), values.map((v) => v[2])],
    );
    await pg.query(
      `INSERT INTO ${usage} SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
      [columns.map((v) => v[0]), columns.map((v) => v[1]), columns.map((v) => v[2])],
    );
    await pg.query(`COMMENT ON TABLE ${lookup} IS 'Every OpenDental 24.3 enum: code and label.'`);
    await pg.query(
      `COMMENT ON TABLE ${usage} IS 'Which OpenDental column holds codes of which enum.'`,
    );
  });
}
