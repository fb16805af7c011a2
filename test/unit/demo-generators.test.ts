import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TSV_NULL, tsvField } from '../../core/db/mysql-tsv';
import { GeneratorContext } from '../../core/demo/generator-context';
import { rowHash, tableSeed, unit } from '../../core/demo/random';
import { rowCountsFor } from '../../core/demo/scales';
import { odSchema, realClinicRowCounts } from '../../core/opendental/reference';

const emptyPools = {
  firstNames: ['A'],
  lastNames: ['B'],
  streets: [],
  cities: [],
  states: [],
  zips: [],
  phones: [],
  emailDomains: [],
  words: [],
  sentences: [],
  employers: [],
};

/** Inverse of tsvField, as MariaDB's LOAD DATA reads it. */
function decode(field: string): string | null {
  if (field === TSV_NULL) return null;
  return field.replace(
    /\\(.)/g,
    (_m, c: string) => ({ t: '\t', n: '\n', r: '\r', '0': '\0' })[c] ?? c,
  );
}

describe('tsvField', () => {
  it('round-trips any string through LOAD DATA escaping, and never emits a raw separator', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const field = tsvField(value);
        expect(field).not.toMatch(/[\t\n\r\0]/);
        expect(decode(field)).toBe(value);
      }),
    );
  });

  it('keeps the strings "\\N" and "NULL" apart from NULL', () => {
    expect(tsvField(null)).toBe('\\N');
    expect(decode(tsvField('\\N'))).toBe('\\N');
    expect(decode(tsvField('NULL'))).toBe('NULL');
  });
});

describe('counter-based randomness', () => {
  it('is a pure function of seed, table, row and salt', () => {
    const a = unit(rowHash(tableSeed(42, 'patient'), 7), 99);
    expect(unit(rowHash(tableSeed(42, 'patient'), 7), 99)).toBe(a);
    expect(unit(rowHash(tableSeed(43, 'patient'), 7), 99)).not.toBe(a);
    expect(unit(rowHash(tableSeed(42, 'claim'), 7), 99)).not.toBe(a);
  });
});

describe('patient blocks', () => {
  it('rowsOfPatient is the exact inverse of patientOf', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 5000 }),
        (patients, rows) => {
          const ctx = new GeneratorContext(
            1,
            { patient: patients, procedurelog: rows },
            emptyPools,
          );
          let covered = 0;
          for (let p = 1; p <= patients; p++) {
            const [first, last] = ctx.rowsOfPatient('procedurelog', p);
            for (let r = first; r <= last; r++) expect(ctx.patientOf('procedurelog', r)).toBe(p);
            covered += Math.max(0, last - first + 1);
          }
          expect(covered).toBe(rows);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('scales', () => {
  it('lists every OpenDental table, with the real proportions at clinic scale', () => {
    const clinic = rowCountsFor('clinic');
    expect(Object.keys(clinic)).toHaveLength(Object.keys(odSchema).length);
    expect(clinic.securitylog).toBe(realClinicRowCounts.tables.securitylog?.rows);
    expect(clinic.procedurelog).toBe(realClinicRowCounts.tables.procedurelog?.rows);
    const total = Object.values(clinic).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(19_000_000);
  });

  it('small is 1–2 % of the clinic and tiny stays around ten thousand rows', () => {
    const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const clinic = sum(rowCountsFor('clinic'));
    const small = sum(rowCountsFor('small'));
    expect(small / clinic).toBeGreaterThan(0.01);
    expect(small / clinic).toBeLessThan(0.02);
    expect(sum(rowCountsFor('tiny'))).toBeLessThan(20_000);
  });

  it('fills every core table even at tiny scale, and never more notes than patients', () => {
    const tiny = rowCountsFor('tiny');
    for (const t of [
      'patient',
      'appointment',
      'procedurelog',
      'claim',
      'claimproc',
      'payment',
      'paysplit',
    ]) {
      expect(tiny[t]).toBeGreaterThan(0);
    }
    expect(tiny.patientnote).toBeLessThanOrEqual(tiny.patient ?? 0);
  });
});
