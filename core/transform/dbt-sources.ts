import { stringify } from 'yaml';
import type { PgSession } from '../db/ports';

/**
 * A dbt `sources.yml` for the public schema, from the database's own catalog: every table and
 * column with the descriptions the transform wrote (`COMMENT ON`), and freshness on
 * `_etl_loaded_at`, so a clinic's dbt project can build on the pipeline's output.
 */
export async function dbtSources(
  pg: PgSession,
  schema: string,
  options: { sourceName?: string; warnAfterHours?: number; errorAfterHours?: number } = {},
): Promise<string> {
  const rows = await pg.query<{
    table_name: string;
    table_comment: string | null;
    column_name: string;
    column_comment: string | null;
  }>(
    `SELECT c.relname AS table_name, obj_description(c.oid, 'pg_class') AS table_comment,
            a.attname AS column_name, col_description(c.oid, a.attnum) AS column_comment
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname NOT LIKE '\\_etl\\_%'
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const tables = new Map<
    string,
    { name: string; description?: string; columns: { name: string; description?: string }[] }
  >();
  for (const row of rows) {
    let table = tables.get(row.table_name);
    if (!table) {
      table = {
        name: row.table_name,
        ...(row.table_comment ? { description: row.table_comment } : {}),
        columns: [],
      };
      tables.set(row.table_name, table);
    }
    table.columns.push({
      name: row.column_name,
      ...(row.column_comment ? { description: row.column_comment } : {}),
    });
  }
  const document = {
    version: 2,
    sources: [
      {
        name: options.sourceName ?? 'opendental',
        description: 'OpenDental practice data, copied nightly by etl-pipeline (schema public).',
        schema,
        loaded_at_field: '_etl_loaded_at',
        freshness: {
          warn_after: { count: options.warnAfterHours ?? 26, period: 'hour' },
          error_after: { count: options.errorAfterHours ?? 50, period: 'hour' },
        },
        tables: [...tables.values()],
      },
    ],
  };
  return stringify(document, { lineWidth: 0 });
}
