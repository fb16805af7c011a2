/** Quotes a MySQL identifier (table or column name) with backticks. */
export function quoteMysql(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Quotes a PostgreSQL identifier with double quotes. */
export function quotePg(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
