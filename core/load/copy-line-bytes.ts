import { ValidationError } from '../../contract/errors';
import { type Conversions, escapeCopyText, isRealDate, isRealYearMonthDay } from './copy-encoder';
import { FIELD_SEPARATOR, FieldKind, NULL_MARK } from './copy-line-sql';

/**
 * Turns row texts built by the server (`copy-line-sql.ts`: fields joined by 0xFF, NULL as 0xFE)
 * into COPY text lines, in one pass over the bytes: the same lines `copy-encoder.ts` builds from
 * mysql2's values, with the same counted conversions (zero, partial and impossible dates → NULL;
 * NUL characters removed from text). No JS string is made per value.
 */
export interface RowTextLayout {
  /** Per field, in column order. */
  kinds: readonly FieldKind[];
  /** The values of the trailing metadata columns, the same on every row. */
  trailing: readonly string[];
  /** For errors. */
  table: string;
}

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const LETTER_N = 0x4e;

/** What `encodeRow` returns (negative) for a row text the server should never produce. */
const SHAPE_ERRORS = [
  'more fields than columns',
  '0xFE inside a value',
  'fewer fields than columns',
];

/** A row text of the wrong shape: a table whose text holds 0xFE/0xFF bytes (never a value here). */
function wrongShape(table: string, what: string): ValidationError {
  return new ValidationError(`a row text from the replica has ${what}`, { table, stage: 'load' });
}

export function rowTextsToCopy(
  rows: readonly Buffer[],
  layout: RowTextLayout,
  conversions: Conversions,
): Buffer {
  const kinds = Uint8Array.from(layout.kinds);
  const suffix = Buffer.from(
    `${layout.trailing.map((t) => `\t${escapeCopyText(t)}`).join('')}\n`,
    'utf8',
  );
  let size = 0;
  for (const row of rows) size += row.length;
  // Escaping at most doubles a byte; a field at most grows from one byte (0xFE) to two (`\N`).
  const out = Buffer.allocUnsafe(2 * size + rows.length * (suffix.length + 2 * kinds.length));
  let o = 0;
  for (const row of rows) {
    o = encodeRow(row, kinds, out, o, conversions);
    if (o < 0) throw wrongShape(layout.table, SHAPE_ERRORS[-o - 1] as string);
    o += suffix.copy(out, o);
  }
  return out.subarray(0, o);
}

/** Returns the output position after the row, or a negative `SHAPE_ERRORS` index (-1, -2, -3). */
function encodeRow(
  row: Buffer,
  kinds: Uint8Array,
  out: Buffer,
  start: number,
  conversions: Conversions,
): number {
  let o = start;
  let field = 0;
  let i = 0;
  const n = row.length;
  for (;;) {
    // Field `field` starts at `i`; `j` runs to its end (a separator or the end of the row).
    const kind = kinds[field];
    if (kind === undefined) return -1;
    let j = i;
    if (row[i] === NULL_MARK && (i + 1 === n || row[i + 1] === FIELD_SEPARATOR)) {
      out[o++] = BACKSLASH;
      out[o++] = LETTER_N;
      j = i + 1;
    } else if (kind === FieldKind.text) {
      let nul = false;
      for (; j < n; j++) {
        const b = row[j] as number;
        if (b > CR && b !== BACKSLASH && b < NULL_MARK) {
          out[o++] = b;
        } else if (b === FIELD_SEPARATOR) {
          break;
        } else if (b === BACKSLASH) {
          out[o++] = BACKSLASH;
          out[o++] = BACKSLASH;
        } else if (b === TAB) {
          out[o++] = BACKSLASH;
          out[o++] = 0x74; // t
        } else if (b === NEWLINE) {
          out[o++] = BACKSLASH;
          out[o++] = 0x6e; // n
        } else if (b === CR) {
          out[o++] = BACKSLASH;
          out[o++] = 0x72; // r
        } else if (b === NUL) {
          nul = true;
        } else if (b === NULL_MARK) {
          return -2;
        } else {
          out[o++] = b;
        }
      }
      if (nul) conversions.nulStripped++;
    } else {
      const from = o;
      for (; j < n; j++) {
        const b = row[j] as number;
        if (b >= NULL_MARK) {
          if (b === FIELD_SEPARATOR) break;
          return -2;
        }
        out[o++] = b;
      }
      if (kind === FieldKind.date && !isRealDateBytes(out, from, o)) {
        o = from;
        out[o++] = BACKSLASH;
        out[o++] = LETTER_N;
        conversions.zeroDateToNull++;
      }
    }
    if (j >= n) break;
    out[o++] = TAB;
    i = j + 1;
    field++;
  }
  if (field !== kinds.length - 1) return -3;
  return o;
}

/** The digit at `text[at]`, or -1 (no closure here: this runs for every date value). */
function digitAt(text: Buffer, at: number): number {
  const b = text[at];
  return b !== undefined && b >= 48 && b <= 57 ? b - 48 : -1;
}

/** `isRealDate` on the bytes `YYYY-MM-DD…` in `text[from, to)`, without making a string. */
function isRealDateBytes(text: Buffer, from: number, to: number): boolean {
  const y0 = digitAt(text, from);
  const y1 = digitAt(text, from + 1);
  const y2 = digitAt(text, from + 2);
  const y3 = digitAt(text, from + 3);
  const m0 = digitAt(text, from + 5);
  const m1 = digitAt(text, from + 6);
  const d0 = digitAt(text, from + 8);
  const d1 = digitAt(text, from + 9);
  if (to - from < 10 || (y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0)
    return isRealDate(text.toString('latin1', from, to));
  return isRealYearMonthDay(y0 * 1000 + y1 * 100 + y2 * 10 + y3, m0 * 10 + m1, d0 * 10 + d1);
}
