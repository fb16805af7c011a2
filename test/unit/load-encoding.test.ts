import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DiscoveredColumn } from '../../core/discovery/discover-schema';
import {
  type Conversions,
  encoderFor,
  escapeCopyText,
  isRealDate,
  rowEncoder,
} from '../../core/load/copy-encoder';
import { pgDefault } from '../../core/load/raw-schema';
import { mapColumn } from '../../core/load/type-mapping';

const column = (columnType: string, nullable = false): DiscoveredColumn => ({
  name: 'Col',
  ordinal: 1,
  columnType,
  dataType: columnType.replace(/[( ].*/, ''),
  nullable,
  default: null,
  extra: '',
  charset: null,
  collation: null,
});
const fresh = (): Conversions => ({ zeroDateToNull: 0, nulStripped: 0 });

describe('type mapping (docs/type-mapping.md)', () => {
  it.each([
    ['bigint(20)', 'bigint'],
    ['bigint(20) unsigned', 'numeric(20,0)'],
    ['int(11)', 'integer'],
    ['int(10) unsigned', 'bigint'],
    ['smallint(6)', 'smallint'],
    ['smallint(5) unsigned', 'integer'],
    ['tinyint(3) unsigned', 'smallint'],
    ['double', 'double precision'],
    ['float', 'real'],
    ['decimal(20,6)', 'numeric(20,6)'],
    ['varchar(255)', 'character varying(255)'],
    ['char(10)', 'character varying(10)'],
    ['mediumtext', 'text'],
    ['date', 'date'],
    ['datetime', 'timestamp without time zone'],
    ['timestamp', 'timestamp without time zone'],
    ['time', 'interval'],
    ['longblob', 'bytea'],
    ['bit(10)', 'bit varying'],
    ["enum('a','b')", 'text'],
    ["set('x','y')", 'text[]'],
    ['json', 'jsonb'],
    ['year(4)', 'smallint'],
  ])('%s → %s', (mysql, pg) => {
    expect(mapColumn(column(mysql)).pgType).toBe(pg);
  });

  it('lowercases names', () => {
    expect(mapColumn({ ...column('int(11)'), name: 'DateTStamp' }).name).toBe('datetstamp');
  });
});

describe('COPY text encoding', () => {
  it('escapes what COPY treats specially, and only that', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText('\\N')).toBe('\\\\N');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const decoded = escapeCopyText(s).replace(
          /\\(.)/g,
          (_m, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c,
        );
        expect(decoded).toBe(s);
      }),
    );
  });

  it('turns zero, partial and impossible dates into NULL and counts them; keeps 0001-01-01', () => {
    const conversions = fresh();
    const date = encoderFor(mapColumn(column('date')));
    expect(
      ['0000-00-00', '2019-00-00', '2019-02-30', '2023-02-29', '0001-01-01', '2024-02-29'].map(
        (d) => date(d, conversions),
      ),
    ).toEqual(['\\N', '\\N', '\\N', '\\N', '0001-01-01', '2024-02-29']);
    expect(conversions.zeroDateToNull).toBe(4);
    expect(isRealDate('2000-02-29 10:00:00')).toBe(true);
    expect(isRealDate('1900-02-29')).toBe(false);
  });

  it('removes NUL from text and counts it; writes bytea, bit and set literals', () => {
    const conversions = fresh();
    expect(encoderFor(mapColumn(column('text')))('a\0b', conversions)).toBe('ab');
    expect(conversions.nulStripped).toBe(1);
    expect(encoderFor(mapColumn(column('longblob')))(Buffer.from([0, 255, 92]), conversions)).toBe(
      '\\\\x00ff5c',
    );
    expect(encoderFor(mapColumn(column('bit(10)')))(Buffer.from([3, 255]), conversions)).toBe(
      '1111111111',
    );
    expect(encoderFor(mapColumn(column("set('x','y')")))('x,y', conversions)).toBe('{"x","y"}');
    expect(encoderFor(mapColumn(column("set('x','y')")))('', conversions)).toBe('{}');
  });

  it('writes NULL as \\N and appends the _etl_ values to every row', () => {
    const encode = rowEncoder(
      [mapColumn(column('int(11)')), mapColumn(column('varchar(5)'))],
      ['2026-01-01T00:00:00Z', 'run-1'],
    );
    expect(encode([1, null], fresh())).toBe('1\t\\N\t2026-01-01T00:00:00Z\trun-1\n');
  });
});

describe('raw defaults for added columns', () => {
  it('maps MySQL literal defaults and leaves expressions and NULL alone', () => {
    const text = mapColumn(column('varchar(10)'));
    expect(pgDefault("'paper'", text)).toBe("'paper'::character varying(10)");
    expect(pgDefault("'O''Brien'", text)).toBe("'O''Brien'::character varying(10)");
    expect(pgDefault('0', mapColumn(column('int(11)')))).toBe("'0'::integer");
    expect(pgDefault('NULL', text)).toBeNull();
    expect(pgDefault('current_timestamp()', mapColumn(column('timestamp')))).toBeNull();
    expect(pgDefault("'0000-00-00'", mapColumn(column('date')))).toBeNull();
    expect(pgDefault("'0001-01-01'", mapColumn(column('date')))).toBe("'0001-01-01'::date");
  });
});
