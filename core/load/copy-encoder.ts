import type { RawColumn } from './type-mapping';

/**
 * Encodes replica rows (as mysql2 returns them: strings, numbers, Buffers, null) into
 * PostgreSQL COPY text format. This is the load's hot path: one function per column, chosen
 * once, no per-value type dispatch.
 *
 * Only what PostgreSQL cannot hold is converted, and each conversion is counted:
 * - `zeroDateToNull`: zero and partial dates (`0000-00-00`, `2019-00-00`), and impossible
 *   dates (`2019-02-30`), become NULL;
 * - `nulStripped`: NUL characters are removed from text (PostgreSQL text cannot contain them).
 */
export interface Conversions {
  zeroDateToNull: number;
  nulStripped: number;
}

export function emptyConversions(): Conversions {
  return { zeroDateToNull: 0, nulStripped: 0 };
}

/** The sum of two conversion counts. */
export function addConversions(a: Conversions, b: Conversions): Conversions {
  return {
    zeroDateToNull: a.zeroDateToNull + b.zeroDateToNull,
    nulStripped: a.nulStripped + b.nulStripped,
  };
}

export const COPY_NULL = '\\N';

type Encoder = (value: unknown, conversions: Conversions) => string;

/** COPY text escaping: backslash, tab, newline and carriage return. */
export function escapeCopyText(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) {
      return text.replace(/[\\\t\n\r]/g, (ch) =>
        ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : '\\r',
      );
    }
  }
  return text;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `YYYY-MM-DD…` is a date PostgreSQL accepts (MySQL also stores zero, partial and invalid ones). */
export function isRealDate(text: string): boolean {
  return isRealYearMonthDay(
    Number(text.slice(0, 4)),
    Number(text.slice(5, 7)),
    Number(text.slice(8, 10)),
  );
}

/** The date test of `isRealDate` on its parts. */
export function isRealYearMonthDay(year: number, month: number, day: number): boolean {
  if (year === 0 || month === 0 || day === 0 || month > 12) return false;
  if (day > (DAYS_IN_MONTH[month - 1] as number)) return false;
  return !(
    month === 2 &&
    day === 29 &&
    !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))
  );
}

const asText = (value: unknown) =>
  Buffer.isBuffer(value) ? value.toString('utf8') : String(value);

const encodeText: Encoder = (value, conversions) => {
  let text = asText(value);
  if (text.includes('\0')) {
    text = text.replaceAll('\0', '');
    conversions.nulStripped++;
  }
  return escapeCopyText(text);
};

const encodeDate: Encoder = (value, conversions) => {
  const text = asText(value);
  if (isRealDate(text)) return text;
  conversions.zeroDateToNull++;
  return COPY_NULL;
};

const encodeBytes: Encoder = (value) =>
  `\\\\x${Buffer.isBuffer(value) ? value.toString('hex') : Buffer.from(String(value)).toString('hex')}`;

function bitEncoder(bits: number): Encoder {
  return (value) => {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from([Number(value)]);
    let out = '';
    for (const byte of bytes) out += byte.toString(2).padStart(8, '0');
    return out.slice(-bits).padStart(bits, '0');
  };
}

const encodeSet: Encoder = (value) => {
  const text = asText(value);
  if (text === '') return '{}';
  const members = text.split(',').map((m) => `"${m.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return escapeCopyText(`{${members.join(',')}}`);
};

const encodePlain: Encoder = (value) => (typeof value === 'string' ? value : String(value));

export function encoderFor(column: RawColumn): Encoder {
  switch (column.kind) {
    case 'text':
    case 'json':
      return encodeText;
    case 'date':
    case 'datetime':
      return encodeDate;
    case 'bytea':
      return encodeBytes;
    case 'bit':
      return bitEncoder(column.bits ?? 1);
    case 'set':
      return encodeSet;
    default:
      return encodePlain;
  }
}

/** A row encoder for a table: arrays in column order → one COPY line (with newline). */
export function rowEncoder(columns: readonly RawColumn[], trailing: readonly string[] = []) {
  const encoders = columns.map(encoderFor);
  const suffix = trailing.length > 0 ? `\t${trailing.map(escapeCopyText).join('\t')}` : '';
  return (row: readonly unknown[], conversions: Conversions): string => {
    let line = '';
    for (let i = 0; i < encoders.length; i++) {
      const value = row[i];
      const field =
        value === null || value === undefined
          ? COPY_NULL
          : (encoders[i] as Encoder)(value, conversions);
      line += i === 0 ? field : `\t${field}`;
    }
    return `${line}${suffix}\n`;
  };
}
