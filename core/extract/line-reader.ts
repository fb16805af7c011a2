import { createHash } from 'node:crypto';
import { quoteMysql } from '../db/identifiers';
import type { MysqlSession } from '../db/ports';
import { tsvLineExpression, tsvLineHashExpression } from '../db/tsv-line-sql';
import type { DiscoveredTable } from '../discovery/discover-schema';
import { keyColumn } from '../discovery/discover-schema';
import { fingerprintSelect } from './checksum-sql';

/**
 * The full copy's read path: the source's rows as LOAD DATA lines built by the source
 * (`tsv-line-sql.ts`), in short primary-key chunks (`WHERE pk > last ORDER BY pk LIMIT n`, each
 * a brief statement, so no long lock is held even on MyISAM), pulled as the writer takes them.
 *
 * While reading it folds every line into a fingerprint (count and XOR of the first 64 bits of
 * each line's MD5), so the copy is validated without reading the source a second time: the
 * replica computes the same aggregate over what it stored (`tsvLineHashExpression`).
 */
export interface LineFingerprint {
  rows: number;
  /** XOR of the lines' 64-bit hashes, as an unsigned decimal (as MySQL's BIT_XOR prints it). */
  xor: string;
}

/** Lines per piece handed to the writer: short-lived buffers keep garbage collection cheap. */
const LINES_PER_PIECE = 256;
const NEWLINE = Buffer.from('\n');

export class LineFolder {
  private rows = 0;
  private high = 0;
  private low = 0;

  add(line: Buffer): void {
    const digest = createHash('md5').update(line).digest();
    this.high = (this.high ^ digest.readUInt32BE(0)) >>> 0;
    this.low = (this.low ^ digest.readUInt32BE(4)) >>> 0;
    this.rows++;
  }

  get fingerprint(): LineFingerprint {
    return {
      rows: this.rows,
      xor: ((BigInt(this.high) << 32n) | BigInt(this.low)).toString(),
    };
  }
}

/**
 * Reads the table's lines in key order and yields them in pieces of newline-terminated lines,
 * folding each into `folder`. A table without a single-column key is read in one statement.
 */
export async function* readLines(
  session: MysqlSession,
  table: DiscoveredTable,
  options: { batchSize: number; folder: LineFolder },
): AsyncGenerator<Buffer> {
  const key = keyColumn(table);
  const line = tsvLineExpression(table);
  const from = quoteMysql(table.name);
  if (!key) {
    const rows = await session.queryBuffers(`SELECT ${line} FROM ${from}`);
    yield* pieces(rows, 0, options.folder);
    return;
  }
  let after: string | null = null;
  for (;;) {
    const rows = await session.queryBuffers(
      `SELECT ${quoteMysql(key)}, ${line} FROM ${from}${after === null ? '' : ` WHERE ${quoteMysql(key)} > ?`} ORDER BY ${quoteMysql(key)} LIMIT ${options.batchSize}`,
      after === null ? [] : [after],
    );
    if (rows.length === 0) return;
    yield* pieces(rows, 1, options.folder);
    if (rows.length < options.batchSize) return;
    after = String((rows[rows.length - 1] as (Buffer | null)[])[0]);
  }
}

function* pieces(
  rows: readonly (Buffer | null)[][],
  lineIndex: number,
  folder: LineFolder,
): Generator<Buffer> {
  for (let start = 0; start < rows.length; start += LINES_PER_PIECE) {
    const parts: Buffer[] = [];
    for (let r = start; r < Math.min(rows.length, start + LINES_PER_PIECE); r++) {
      const line = (rows[r] as (Buffer | null)[])[lineIndex] as Buffer;
      folder.add(line);
      parts.push(line, NEWLINE);
    }
    yield Buffer.concat(parts);
  }
}

/** The same fingerprint computed by a server over a table it holds (e.g. the replica's shadow). */
export async function storedFingerprint(
  session: MysqlSession,
  stored: string,
  table: DiscoveredTable,
): Promise<LineFingerprint> {
  const [row] = await session.queryArrays(
    `SELECT ${fingerprintSelect(tsvLineHashExpression(table))} FROM ${quoteMysql(stored)}`,
  );
  return { rows: Number(row?.[0] ?? 0), xor: String(row?.[1] ?? '0') };
}
