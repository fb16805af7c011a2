import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../contract/errors';
import type { DiscoveredColumn } from '../../core/discovery/discover-schema';
import { type Conversions, emptyConversions, rowEncoder } from '../../core/load/copy-encoder';
import { rowTextsToCopy } from '../../core/load/copy-line-bytes';
import { FieldKind, fieldKind } from '../../core/load/copy-line-sql';
import { mapColumn } from '../../core/load/type-mapping';

/** A row text as the server builds it: fields joined by 0xFF, NULL as 0xFE. */
const rowText = (fields: (string | null)[]) =>
  Buffer.concat(
    fields.flatMap((f, i) => [
      ...(i > 0 ? [Buffer.from([0xff])] : []),
      f === null ? Buffer.from([0xfe]) : Buffer.from(f, 'utf8'),
    ]),
  );

const column = (columnType: string): DiscoveredColumn => ({
  name: 'c',
  ordinal: 1,
  columnType,
  dataType: columnType.replace(/[( ].*/, ''),
  nullable: true,
  default: null,
  extra: '',
  charset: null,
  collation: null,
});

const { text, date, verbatim } = FieldKind;
const encode = (
  rows: (string | null)[][],
  kinds: FieldKind[],
  trailing: string[] = [],
): { text: string; conversions: Conversions } => {
  const conversions = emptyConversions();
  const out = rowTextsToCopy(rows.map(rowText), { kinds, trailing, table: 't' }, conversions);
  return { text: out.toString('utf8'), conversions };
};

describe('row texts → COPY lines', () => {
  it('escapes text, writes NULL as \\N, keeps empty strings, appends the trailing values', () => {
    const { text: out, conversions } = encode(
      [
        ['1', 'a\\b\tc\nd\re', '', null, '\\N'],
        ['2', 'NULL', 'é😀', '', null],
      ],
      [verbatim, text, text, text, text],
      ['2026-12-01T00:00:00.000Z', 'run\t1'],
    );
    expect(out).toBe(
      '1\ta\\\\b\\tc\\nd\\re\t\t\\N\t\\\\N\t2026-12-01T00:00:00.000Z\trun\\t1\n' +
        '2\tNULL\té😀\t\t\\N\t2026-12-01T00:00:00.000Z\trun\\t1\n',
    );
    expect(conversions).toEqual({ zeroDateToNull: 0, nulStripped: 0 });
  });

  it('removes NUL characters from text and counts each value once; elsewhere leaves them', () => {
    const { text: out, conversions } = encode(
      [['a\0b\0', '\0', 'x\0', 'plain']],
      [text, text, verbatim, text],
    );
    expect(out).toBe('ab\t\tx\0\tplain\n');
    expect(conversions.nulStripped).toBe(2);
  });

  it('turns zero, partial and impossible dates into NULL and counts them; NULL stays uncounted', () => {
    const values = [
      '0000-00-00',
      '2019-00-00',
      '2019-02-30',
      '2023-02-29 10:00:00',
      '1900-02-29',
      '0000-01-01',
      '0001-01-01',
      '2024-02-29 23:59:59.999999',
      '2000-02-29',
      null,
    ];
    const { text: out, conversions } = encode(
      [values],
      values.map(() => date),
    );
    expect(out).toBe(
      `${['\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '0001-01-01', '2024-02-29 23:59:59.999999', '2000-02-29', '\\N'].join('\t')}\n`,
    );
    expect(conversions.zeroDateToNull).toBe(6);
  });

  it('refuses a row text whose shape is not the table (0xFE inside a value, a field too many or too few)', () => {
    const bad = (row: Buffer, kinds: FieldKind[]) => () =>
      rowTextsToCopy([row], { kinds, trailing: [], table: 't' }, emptyConversions());
    expect(bad(Buffer.from([0x61, 0xfe, 0x62]), [text])).toThrow(ValidationError);
    expect(bad(Buffer.from([0x61, 0xfe, 0x62]), [text])).toThrow(
      /^table t, stage load: a row text from the replica has 0xFE inside a value$/,
    );
    expect(bad(Buffer.from([0x31, 0xfe]), [verbatim])).toThrow(ValidationError);
    expect(bad(rowText(['1', '2']), [verbatim])).toThrow(ValidationError);
    expect(bad(rowText(['1', '2']), [verbatim, verbatim, verbatim])).toThrow(ValidationError);
  });

  it('property: the same line as the Node encoder for text, dates and numbers', () => {
    const columns = ['varchar(20)', 'date', 'datetime', 'bigint(20)', 'text'].map((t) =>
      mapColumn(column(t)),
    );
    const dateText = fc
      .tuple(fc.nat(9999), fc.nat(12), fc.nat(31))
      .map(([y, m, d]) =>
        [String(y).padStart(4, '0'), String(m).padStart(2, '0'), String(d).padStart(2, '0')].join(
          '-',
        ),
      );
    const textValue = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({
        unit: fc.constantFrom('\\', '\t', '\n', '\r', '\0', 'N', 'é', '😀'),
        maxLength: 12,
      }),
    );
    const row = fc.tuple(
      fc.option(textValue, { nil: null }),
      fc.option(dateText, { nil: null }),
      fc.option(
        dateText.map((d) => `${d} 12:34:56`),
        { nil: null },
      ),
      fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), { nil: null }),
      fc.option(textValue, { nil: null }),
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        const trailing = ['t', 'r\\un'];
        const expected = emptyConversions();
        const line = rowEncoder(columns, trailing);
        const want = rows.map((r) => line(r, expected)).join('');
        const got = emptyConversions();
        const out = rowTextsToCopy(
          rows.map(rowText),
          { kinds: columns.map(fieldKind), trailing, table: 't' },
          got,
        );
        expect(out.toString('utf8')).toBe(want);
        expect(got).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
