import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PgSession } from '../db/ports';
import { addConversions, type Conversions, emptyConversions, rowEncoder } from './copy-encoder';
import type { CopyText } from './copy-line-reader';
import type { RawColumn } from './type-mapping';

/**
 * Streams row chunks into `COPY … FROM STDIN` with backpressure: a chunk is read from the replica
 * only when PostgreSQL has taken the previous one, so memory stays flat whatever the table size.
 */
const ROWS_PER_PIECE = 256;

export interface CopyOutcome {
  rows: number;
  bytes: number;
  conversions: Conversions;
}

export async function copyRows(
  pg: PgSession,
  options: {
    /** The `COPY … FROM STDIN` statement. */
    sql: string;
    columns: readonly RawColumn[];
    /** Values of the trailing metadata columns, the same on every row. */
    trailing: readonly string[];
    chunks: AsyncIterable<unknown[][]>;
  },
): Promise<CopyOutcome> {
  const encode = rowEncoder(options.columns, options.trailing);
  const conversions = emptyConversions();
  let rows = 0;
  let bytes = 0;
  async function* lines() {
    for await (const chunk of options.chunks) {
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
  await pipeline(Readable.from(lines()), pg.copyFrom(options.sql));
  return { rows, bytes, conversions };
}

/** Streams COPY text already built (by the server: `copy-line-reader.ts`) into `COPY … FROM STDIN`. */
export async function copyText(
  pg: PgSession,
  options: { sql: string; pieces: AsyncIterable<CopyText> },
): Promise<CopyOutcome> {
  const outcome: CopyOutcome = { rows: 0, bytes: 0, conversions: emptyConversions() };
  async function* data() {
    for await (const piece of options.pieces) {
      outcome.rows += piece.rows;
      outcome.bytes += piece.data.length;
      outcome.conversions = addConversions(outcome.conversions, piece.conversions);
      yield piece.data;
    }
  }
  // One piece buffered here: the reader already reads one chunk ahead.
  await pipeline(Readable.from(data(), { highWaterMark: 1 }), pg.copyFrom(options.sql));
  return outcome;
}
