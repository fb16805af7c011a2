import { CORE_TABLES } from '../opendental/core-tables';
import { odSchema, realClinicRowCounts } from '../opendental/reference';

export const SCALES = ['tiny', 'small', 'clinic'] as const;
export type Scale = (typeof SCALES)[number];

interface ScaleRule {
  /** Share of the real clinic's row count. */
  factor: number;
  /** Core tables get at least this many rows, whatever their real count. */
  coreMin: number;
  /** Reference tables (codes, providers, definitions) are capped here instead of scaled. */
  referenceCap: number;
}

const RULES: Record<Scale, ScaleRule> = {
  tiny: { factor: 0.0005, coreMin: 12, referenceCap: 40 },
  small: { factor: 0.015, coreMin: 40, referenceCap: 2000 },
  clinic: { factor: 1, coreMin: 40, referenceCap: Number.POSITIVE_INFINITY },
};

/**
 * Tables whose size does not grow with the practice (a clinic has its code set, its providers
 * and its definitions whether it has 500 patients or 50,000): kept at real size, capped by scale.
 */
const REFERENCE_TABLES = new Set([
  'provider',
  'operatory',
  'procedurecode',
  'definition',
  'userod',
  'usergroup',
  'recalltype',
  'employee',
  'appointmenttype',
  'clinic',
  'preference',
  'feesched',
  'sheetdef',
  'sheetfielddef',
  'displayfield',
  'computer',
  'language',
  'zipcode',
]);

/**
 * Tables the demo fills even at tiny scale, so every relation of the core has rows: the
 * pipeline's core tables (priority order) and the few more they reference.
 */
export const DEMO_CORE_TABLES: readonly string[] = [...CORE_TABLES, 'patientnote', 'procnote'];

/** Tables with data in a real clinic that OpenDental creates empty (no clinics feature). */
const FORCED_COUNTS: Partial<Record<string, number>> = { clinic: 3 };

/** Rows per table for a scale: the real clinic's proportions, every schema table listed. */
export function rowCountsFor(scale: Scale): Record<string, number> {
  const rule = RULES[scale];
  const counts: Record<string, number> = {};
  for (const table of Object.keys(odSchema)) {
    const real = FORCED_COUNTS[table] ?? realClinicRowCounts.tables[table]?.rows ?? 0;
    let rows: number;
    if (REFERENCE_TABLES.has(table)) rows = Math.min(real, rule.referenceCap);
    else rows = Math.round(real * rule.factor);
    if (DEMO_CORE_TABLES.includes(table))
      rows = Math.max(rows, Math.min(real, rule.coreMin) || rule.coreMin);
    counts[table] = rows;
  }
  // A patient note exists at most once per patient (its key is PatNum).
  counts.patientnote = Math.min(counts.patientnote ?? 0, counts.patient ?? 0);
  counts.ehrpatient = Math.min(counts.ehrpatient ?? 0, counts.patient ?? 0);
  return counts;
}
