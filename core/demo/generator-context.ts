import { between, tableSeed as deriveTableSeed, hashString, rowHash, unit } from './random';
import type { ValuePools } from './value-pools';

/**
 * What every value generator can see: the seed, the row counts of all tables (primary keys run
 * 1..count, so a reference is valid when it falls in that range), the text pools and the date
 * helpers. Relations that must agree across tables (which patient a procedure belongs to) are
 * pure functions here, so both tables compute the same answer without reading each other.
 */
export type ValueGen = (row: number, hash: number) => string | null;

/** "As of" date of the demo clinic: fixed, so that the same seed always gives the same rows. */
export const DEMO_AS_OF = Date.UTC(2025, 5, 30);
const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(1930, 0, 1);
const DAY_COUNT = Math.round((DEMO_AS_OF - FIRST_DAY) / DAY) + 1;

const DAYS: string[] = Array.from({ length: DAY_COUNT }, (_, i) =>
  new Date(FIRST_DAY + i * DAY).toISOString().slice(0, 10),
);
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
/** Every second of a day as `HH:MM:SS`, so that timestamps are built without Date formatting. */
const SECONDS: string[] = Array.from(
  { length: 86_400 },
  (_, i) => `${pad(Math.floor(i / 3600))}:${pad(Math.floor(i / 60) % 60)}:${pad(i % 60)}`,
);
/** Times of day on a 5-minute grid, as OpenDental's schedule uses. */
const TIMES: string[] = Array.from(
  { length: 288 },
  (_, i) => `${pad(Math.floor(i / 12))}:${pad((i % 12) * 5)}:00`,
);

export const NO_DATE = '0001-01-01';
export const NO_DATETIME = '0001-01-01 00:00:00';

export class GeneratorContext {
  constructor(
    readonly seed: number,
    readonly counts: Readonly<Record<string, number>>,
    readonly pools: ValuePools,
  ) {}

  count(table: string): number {
    return this.counts[table] ?? 0;
  }

  /** Salt for one purpose of one column, so that columns draw independent values. */
  salt(table: string, purpose: string): number {
    return hashString(`${table}.${purpose}`);
  }

  private readonly seeds = new Map<string, number>();

  /** The seed of one table's values. */
  tableSeed(table: string): number {
    let seed = this.seeds.get(table);
    if (seed === undefined) {
      seed = deriveTableSeed(this.seed, table);
      this.seeds.set(table, seed);
    }
    return seed;
  }

  /** The row hash of a table's row: what every value of that row is drawn from. */
  rowHashOf(table: string, row: number): number {
    return rowHash(this.tableSeed(table), row);
  }

  /** A valid primary key of `table` (1..count), or 0 when the table is empty. */
  ref(table: string, hash: number, salt: number): number {
    const n = this.count(table);
    return n === 0 ? 0 : 1 + Math.floor(unit(hash, salt) * n);
  }

  /**
   * Patient-owned rows are laid out in contiguous blocks per patient, so a patient's rows of
   * any table form a key range: the owner of row `row` of `table`…
   */
  patientOf(table: string, row: number): number {
    const n = this.count(table);
    const patients = this.count('patient');
    if (n === 0 || patients === 0) return 0;
    return 1 + Math.floor(((row - 1) * patients) / n);
  }

  /** …and the key range [first, last] of `table` owned by `patient` (empty when first > last). */
  rowsOfPatient(table: string, patient: number): [number, number] {
    const n = this.count(table);
    const patients = this.count('patient');
    if (n === 0 || patients === 0) return [1, 0];
    const first = Math.floor(((patient - 1) * n + patients - 1) / patients) + 1;
    const last = Math.floor((patient * n + patients - 1) / patients);
    return [first, Math.min(last, n)];
  }

  /** One row of `table` owned by `patient`, or 0 when the patient has none. */
  rowOfPatient(table: string, patient: number, hash: number, salt: number): number {
    const [first, last] = this.rowsOfPatient(table, patient);
    return first > last ? 0 : between(hash, salt, first, last);
  }

  /** A date within the last `years` years before the as-of date. */
  date(hash: number, salt: number, years = 12): string {
    const span = Math.min(DAY_COUNT, Math.round(years * 365.25));
    return DAYS[DAY_COUNT - 1 - Math.floor(unit(hash, salt) * span)] as string;
  }

  /** A date up to `days` after the as-of date (future appointments, recalls). */
  futureDate(hash: number, salt: number, days = 180): string {
    return new Date(DEMO_AS_OF + between(hash, salt, 1, days) * DAY).toISOString().slice(0, 10);
  }

  /** A time during office hours (7:00–18:55), 5-minute grid. */
  officeTime(hash: number, salt: number): string {
    return TIMES[between(hash, salt, 84, 227)] as string;
  }

  dateTime(hash: number, salt: number, years = 12): string {
    return `${this.date(hash, salt, years)} ${this.officeTime(hash, salt ^ 0x5bd1e995)}`;
  }

  /** A change-column value: a recent edit time, within the last 400 days. */
  changeStamp(hash: number, salt: number): string {
    return this.secondsBeforeAsOf(Math.floor(unit(hash, salt) * 400 * 86_400));
  }

  /** `YYYY-MM-DD HH:MM:SS`, `seconds` before the end of the as-of day. */
  secondsBeforeAsOf(seconds: number): string {
    const day = Math.floor(seconds / 86_400);
    return `${DAYS[DAY_COUNT - 1 - day] ?? NO_DATE} ${SECONDS[86_399 - (seconds % 86_400)]}`;
  }

  /** An amount with two decimals, as OpenDental stores money in doubles. */
  money(hash: number, salt: number, min: number, max: number): string {
    const cents = Math.round(min * 100 + unit(hash, salt) * (max - min) * 100);
    const abs = cents < 0 ? -cents : cents;
    const frac = abs % 100;
    return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${frac < 10 ? '0' : ''}${frac}`;
  }

  pick<T>(hash: number, salt: number, items: readonly T[]): T {
    return items[Math.floor(unit(hash, salt) * items.length)] as T;
  }

  chance(hash: number, salt: number, probability: number): boolean {
    return unit(hash, salt) < probability;
  }
}
