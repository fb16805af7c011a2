import {
  enumOfColumn,
  enumValues,
  type OdColumn,
  type OdTable,
  odSchema,
} from '../opendental/reference';
import { type GeneratorContext, NO_DATE, NO_DATETIME, type ValueGen } from './generator-context';
import { between, unit } from './random';

/**
 * Generic values for any OpenDental column, from its MySQL type and OpenDental's C# type:
 * primary keys 1..N, references inferred from column names (`PatNum`, `ProvNum`, ...) that stay
 * within the referenced table's keys, enum codes from enums.json, 0/1 booleans, "no date"
 * `0001-01-01` mixed into dates, negative times where OpenDental allows them. Table-specific
 * realism (families, fees, statuses) is layered on top by `clinic-rules.ts`.
 */

export interface ParsedType {
  base: string;
  length: number | null;
  unsigned: boolean;
}

export function parseMysqlType(type: string): ParsedType {
  const match = /^(\w+)(?:\((\d+)(?:,\d+)?\))?( unsigned)?/i.exec(type);
  return {
    base: (match?.[1] ?? type).toLowerCase(),
    length: match?.[2] ? Number(match[2]) : null,
    unsigned: Boolean(match?.[3]),
  };
}

/** Key column name → table, for every table whose single auto-increment key names it. */
const KEY_OWNERS: Map<string, string> = (() => {
  const owners = new Map<string, string>();
  for (const [table, def] of Object.entries(odSchema)) {
    const [key] = def.primary_key;
    if (key && def.auto_increment.includes(key) && !owners.has(key)) owners.set(key, table);
  }
  return owners;
})();

/** Column names OpenDental uses for references whose name is not the key's own name. */
const REFERENCE_ALIASES: Record<string, string> = {
  Guarantor: 'patient',
  SuperFamily: 'patient',
  Subscriber: 'patient',
  ResponsParty: 'patient',
  PriProv: 'provider',
  SecProv: 'provider',
  ProvHyg: 'provider',
  ProvTreat: 'provider',
  ProvBill: 'provider',
  ProvDentist: 'provider',
  ProvHygienist: 'provider',
  DefaultProv: 'provider',
  Op: 'operatory',
  SecUserNumEntry: 'userod',
  FeeSched: 'feesched',
  BillingType: 'definition',
  PayType: 'definition',
  AdjType: 'definition',
  CommType: 'definition',
  Confirmed: 'definition',
  ProcCat: 'definition',
  RecallStatus: 'definition',
  UnschedStatus: 'definition',
  Prognosis: 'definition',
  Priority: 'definition',
  CovCatNum: 'covcat',
};

/** The table a column refers to, if it looks like a reference. */
export function referencedTable(column: OdColumn, def: OdTable): string | undefined {
  if (!/^bigint/.test(column.mysql_type) || def.primary_key[0] === column.name) return undefined;
  return REFERENCE_ALIASES[column.name] ?? KEY_OWNERS.get(column.name);
}

const COLORS = [
  '-16777216',
  '-1',
  '-65536',
  '-16744448',
  '-16776961',
  '-256',
  '-8355712',
  '-3355444',
];
const INT_RANGE: Record<string, [number, number, number]> = {
  // [signed max, unsigned max, "typical" upper bound of generated values]
  tinyint: [127, 255, 9],
  smallint: [32_767, 65_535, 500],
  mediumint: [8_388_607, 16_777_215, 5_000],
  int: [2_147_483_647, 4_294_967_295, 100_000],
};

/** The generic generator of one column. */
export function genericColumn(
  ctx: GeneratorContext,
  table: string,
  def: OdTable,
  column: OdColumn,
): ValueGen {
  const salt = ctx.salt(table, column.name);
  const type = parseMysqlType(column.mysql_type);
  const isKey = def.primary_key.length === 1 && def.primary_key[0] === column.name;
  if (isKey) return (row) => String(row);

  const target = referencedTable(column, def);
  if (target) {
    return (_row, h) => (ctx.chance(h, salt ^ 1, 0.1) ? '0' : String(ctx.ref(target, h, salt)));
  }

  const enumName = column.cs_is_enum ? enumOfColumn(table, column.name) : undefined;
  if (enumName) {
    const values = enumValues(enumName);
    const isText = ['varchar', 'char', 'text'].includes(type.base);
    const [signedMax, unsignedMax] = INT_RANGE[type.base] ?? [
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ];
    const max = type.unsigned ? unsignedMax : signedMax;
    const codes = isText
      ? Object.values(values)
      : Object.keys(values).filter((k) => Number(k) <= max);
    if (codes.length > 0) return (_row, h) => ctx.pick(h, salt, codes);
  }

  const nullable = column.nullable && column.default === null;
  const base = typedValue(ctx, column, type, salt);
  return nullable ? (row, h) => (ctx.chance(h, salt ^ 7, 0.15) ? null : base(row, h)) : base;
}

function typedValue(
  ctx: GeneratorContext,
  column: OdColumn,
  type: ParsedType,
  salt: number,
): ValueGen {
  if (column.cs_type === 'bool') return (_row, h) => (ctx.chance(h, salt, 0.15) ? '1' : '0');
  if (column.cs_type === 'Color') return (_row, h) => ctx.pick(h, salt, COLORS);
  if (column.special.includes('TimeSpanLong')) {
    // .NET ticks (100 ns): durations of 0–120 minutes.
    return (_row, h) => String(between(h, salt, 0, 24) * 5 * 600_000_000);
  }
  switch (type.base) {
    case 'bigint':
      return (_row, h) =>
        ctx.chance(h, salt, 0.8) ? '0' : String(between(h, salt ^ 3, 1, 100_000));
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int': {
      const [, , typical] = INT_RANGE[type.base] ?? [0, 0, 9];
      return (_row, h) => String(between(h, salt, 0, typical));
    }
    case 'double':
      return (_row, h) => (ctx.chance(h, salt, 0.3) ? '0' : ctx.money(h, salt ^ 3, 0, 500));
    case 'float':
    case 'decimal':
      return (_row, h) => (unit(h, salt) * 100).toFixed(2);
    case 'date':
      return (_row, h) => (ctx.chance(h, salt, 0.2) ? NO_DATE : ctx.date(h, salt ^ 3));
    case 'datetime':
      return (_row, h) => (ctx.chance(h, salt, 0.2) ? NO_DATETIME : ctx.dateTime(h, salt ^ 3));
    case 'timestamp':
      return (_row, h) => ctx.changeStamp(h, salt);
    case 'time': {
      const negative = column.special.includes('TimeSpanNeg');
      return (_row, h) => {
        const minutes = between(h, salt, 0, 600);
        const sign = negative && ctx.chance(h, salt ^ 5, 0.15) ? '-' : '';
        const hh = Math.floor(minutes / 60);
        return `${sign}${hh < 10 ? '0' : ''}${hh}:${String(minutes % 60).padStart(2, '0')}:00`;
      };
    }
    case 'varchar':
    case 'char': {
      const max = type.length ?? 255;
      return (_row, h) =>
        ctx.chance(h, salt, 0.6) ? '' : ctx.pick(h, salt ^ 3, ctx.pools.words).slice(0, max);
    }
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'tinytext':
      return (_row, h) =>
        ctx.chance(h, salt, 0.6) ? '' : ctx.pick(h, salt ^ 3, ctx.pools.sentences);
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      // Hex, decoded by UNHEX() in the LOAD DATA statement.
      return (_row, h) =>
        (h >>> 0)
          .toString(16)
          .padStart(8, '0')
          .repeat(between(h, salt, 0, 8));
    default:
      return () => '';
  }
}
