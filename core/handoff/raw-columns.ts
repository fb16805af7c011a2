/**
 * What the load writes into every raw table and the transform reads back: the metadata columns
 * after the data columns, and each column's comment naming its MySQL source column and type
 * (raw names are lowercased; the transform reads the original PascalCase name from the comment).
 */
export const ETL_COLUMNS = [
  { name: '_etl_loaded_at', pgType: 'timestamp with time zone' },
  { name: '_etl_run_id', pgType: 'text' },
] as const;

/** Whether a raw or public column is one of the pipeline's own metadata columns. */
export function isEtlColumn(name: string): boolean {
  return name.startsWith('_etl_');
}

export function rawColumnComment(column: { source: string; mysqlType: string }): string {
  return `From MySQL column ${column.source} ${column.mysqlType}`;
}

export function sourceNameFromComment(comment: string | null): string | null {
  return /^From MySQL column (\S+) /.exec(comment ?? '')?.[1] ?? null;
}

export function mysqlTypeFromComment(comment: string | null): string | null {
  return /^From MySQL column \S+ (.+)$/.exec(comment ?? '')?.[1] ?? null;
}
