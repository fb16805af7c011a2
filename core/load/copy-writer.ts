import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PgSession } from '../db/ports';
import { type Conversions, rowEncoder } from './copy-encoder';
import type { RawColumn } from './type-mapping';

/**
 * Streams row chunks into `COPY … FROM STDIN` with backpressure: a chunk is read from the replica
 * only when PostgreSQL has taken the previous one, so memory stays flat whatever the table size.
 */
const ROWS_PER_PIECE = 256;

export async function copyRows(
  pg: PgSession,
  copySql: string,
  columns: readonly RawColumn[],
  trailing: readonly string[],
  chunks: AsyncIterable<unknown[][]>,
  conversions: Conversions,
): Promise<{ rows: number; bytes: number }> {
  const encode = rowEncoder(columns, trailing);
  let rows = 0;
  let bytes = 0;
  async function* lines() {
    for await (const chunk of chunks) {
      // Small pieces stay short-lived: one multi-megabyte string per chunk survives young-
      // generation collections and made garbage collection the largest cost of a load.
      for (let i = 0; i < chunk.length; i += ROWS_PER_PIECE) {
        let text = '';
        const end = Math.min(chunk.length, i + ROWS_PER_PIECE);
        for (let r = i; r < end; r++) text += encode(chunk[r] as unknown[], conversions);
        const buffer = Buffer.from(text, 'utf8');
        bytes += buffer.length;
        yield buffer;
      }
      rows += chunk.length;
    }
  }
  await pipeline(Readable.from(lines()), pg.copyFrom(copySql));
  return { rows, bytes };
}
