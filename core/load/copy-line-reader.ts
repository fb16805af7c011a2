import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { type DiscoveredTable, keyColumn } from '../discovery/discover-schema';
import { type Conversions, emptyConversions } from './copy-encoder';
import { type RowTextLayout, rowTextsToCopy } from './copy-line-bytes';
import { fieldKind, rowTextExpression } from './copy-line-sql';
import type { RawColumn } from './type-mapping';

/** A piece of COPY text (whole lines) and what it holds. */
export interface CopyText {
  data: Buffer<ArrayBufferLike>;
  rows: number;
  conversions: Conversions;
}

/**
 * Reads a replica table as COPY text: the server joins each row's fields into one value
 * (`copy-line-sql.ts`), Node turns those bytes into COPY lines (`copy-line-bytes.ts`). Key chunks
 * of `batchSize` rows as `readChunks`; the next chunk is read while the current one is written.
 */
export async function* readCopyText(
  session: MysqlSession,
  table: DiscoveredTable,
  columns: readonly RawColumn[],
  options: { batchSize: number; trailing: readonly string[] },
): AsyncGenerator<CopyText> {
  const key = keyColumn(table);
  const rowText = rowTextExpression(table.columns, columns);
  const layout: RowTextLayout = {
    kinds: columns.map(fieldKind),
    trailing: options.trailing,
    table: table.name,
  };
  const from = quoteMysql(table.name);
  const encode = (texts: Buffer[]): CopyText => {
    const conversions = emptyConversions();
    const data = rowTextsToCopy(texts, layout, conversions);
    return { data, rows: texts.length, conversions };
  };
  if (!key) {
    // No single-column key (the `full` fallback): one statement, as `readChunks`.
    const rows = await session.queryBuffers(`SELECT ${rowText} FROM ${from}`);
    const texts = rows.map((row) => row[0] as Buffer);
    for (let i = 0; i < texts.length; i += options.batchSize)
      yield encode(texts.slice(i, i + options.batchSize));
    return;
  }
  const read = (after: string | null) =>
    session.queryBuffers(
      `SELECT ${quoteMysql(key)}, ${rowText} FROM ${from}${after === null ? '' : ` WHERE ${quoteMysql(key)} > ?`} ORDER BY ${quoteMysql(key)} LIMIT ${options.batchSize}`,
      after === null ? [] : [after],
    );
  let next: Promise<(Buffer | null)[][]> | null = read(null);
  try {
    while (next) {
      const rows: (Buffer | null)[][] = await next;
      next = null;
      const last = rows[rows.length - 1];
      // The key's text as the server sent it (utf8mb4), bound as a string like `readChunks` does.
      if (rows.length === options.batchSize && last) next = read(String(last[0]));
      if (rows.length > 0) yield encode(rows.map((row) => row[1] as Buffer));
    }
  } finally {
    // Stopped early (the COPY failed): the read ahead must not become an unhandled rejection.
    next?.catch(() => {});
  }
}
