/**
 * Field encoding for `LOAD DATA … FIELDS TERMINATED BY '\t' ESCAPED BY '\\'`: backslash, tab,
 * newline, carriage return and NUL are escaped; `\N` is NULL.
 */
export const TSV_NULL = '\\N';

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

export function tsvField(value: string | null): string {
  if (value === null) return TSV_NULL;
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r\0]/g, (c) => ESCAPES[c] ?? c) : value;
}
