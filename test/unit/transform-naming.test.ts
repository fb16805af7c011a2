import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enumOfColumn, odSchema } from '../../core/opendental/reference';
import {
  fitIdentifier,
  PG_MAX_IDENTIFIER_BYTES,
  publicColumnNames,
  publicColumnNaming,
  snakeCase,
} from '../../core/transform/naming';
import { publicColumns } from '../../core/transform/public-columns';

describe('snake_case naming rule', () => {
  it.each([
    ['PatNum', 'pat_num'],
    ['DateTStamp', 'date_t_stamp'],
    ['SecDateTEdit', 'sec_date_t_edit'],
    ['SSN', 'ssn'],
    ['DEANum', 'dea_num'],
    ['Bal_0_30', 'bal_0_30'],
    ['Address2', 'address2'],
    ['ProvNumBillingOverride', 'prov_num_billing_override'],
    ['HmPhone', 'hm_phone'],
    ['procedurelog', 'procedurelog'],
  ])('%s → %s', (name, expected) => {
    expect(snakeCase(name)).toBe(expected);
  });

  it('never gives two equal names in one OpenDental table, labels included', () => {
    for (const [table, def] of Object.entries(odSchema)) {
      const columns = def.columns.map((c) => c.name);
      const labelled = new Set(columns.filter((c) => enumOfColumn(table, c)));
      const names = publicColumnNames(columns, labelled);
      const all = [
        ...names,
        ...names.filter((_, i) => labelled.has(columns[i] as string)).map((n) => `${n}_label`),
      ];
      expect(new Set(all).size, table).toBe(all.length);
      expect(names).toEqual(columns.map((c) => fitIdentifier(snakeCase(c))));
      for (const name of all) expect(Buffer.byteLength(name), name).toBeLessThanOrEqual(63);
    }
  });

  it('keeps names unique for any column list, falling back when the rule collides', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,12}$/), {
          maxLength: 12,
          comparator: (a, b) => a.toLowerCase() === b.toLowerCase(),
        }),
        (columns) => {
          const names = publicColumnNames(columns, new Set(columns.slice(0, 2)));
          const all = [...names, ...names.slice(0, 2).map((n) => `${n}_label`)];
          expect(new Set(all).size).toBe(all.length);
        },
      ),
    );
    expect(publicColumnNames(['PatNum', 'Pat_Num'], new Set())).toEqual(['pat_num', 'pat_num_col']);
    expect(publicColumnNames(['PatNum'], new Set(), { PatNum: 'patient_id' })).toEqual([
      'patient_id',
    ]);
  });
});

const bytes = (name: string) => Buffer.byteLength(name);

describe("names over PostgreSQL's 63 bytes", () => {
  const LONG = 'performing_organization_name_assigning_authority_universal_id_type';

  it('keeps names of up to 63 bytes and shortens longer ones to a prefix and a hash', () => {
    expect(fitIdentifier('pat_num')).toBe('pat_num');
    expect(fitIdentifier('x'.repeat(63))).toBe('x'.repeat(63));
    expect(bytes(LONG)).toBe(66);
    expect(fitIdentifier(LONG)).toBe(
      'performing_organization_name_assigning_authority_unive_32903c5b',
    );
    expect(fitIdentifier(LONG)).toBe(fitIdentifier(LONG));
    // Multi-byte characters are never cut in half, and a prefix ending in `_` does not double it.
    expect(fitIdentifier('é'.repeat(40))).toMatch(/^(é){27}_[0-9a-f]{8}$/);
    expect(fitIdentifier(`${'a'.repeat(53)}_${'b'.repeat(20)}`)).toMatch(/^a{53}_[0-9a-f]{8}$/);
  });

  it('gives any long name a short form of at most 63 bytes, the same every time, distinct for distinct names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 30, maxLength: 90 }), {
          minLength: 2,
          maxLength: 20,
        }),
        (names) => {
          const short = names.map(fitIdentifier);
          for (const [i, s] of short.entries()) {
            expect(bytes(s)).toBeLessThanOrEqual(PG_MAX_IDENTIFIER_BYTES);
            expect(fitIdentifier(names[i] as string)).toBe(s);
          }
          expect(new Set(short).size).toBe(names.length);
        },
      ),
    );
  });

  it('names long columns of one table apart, labels included, and says what they were shortened from', () => {
    // Two names alike in their first 60 bytes, one of them an enum column with a label.
    const a = `${'Performing'.repeat(6)}UniversalIdType`;
    const b = `${'Performing'.repeat(6)}UniversalIdTypes`;
    const naming = publicColumnNaming([a, b, 'PatNum'], new Set([a]));
    const all = naming.flatMap((n) => [n.name, ...(n.label ? [n.label.name] : [])]);
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(4);
    for (const name of all) expect(bytes(name)).toBeLessThanOrEqual(63);
    expect(naming[0]).toMatchObject({
      full: snakeCase(a),
      label: { full: `${snakeCase(a)}_label` },
    });
    expect(naming[2]).toEqual({ name: 'pat_num', full: 'pat_num', label: null });
    expect(publicColumnNames([a], new Set(), { [a]: 'x'.repeat(70) })[0]).toMatch(
      /^x{54}_[0-9a-f]{8}$/,
    );
  });

  it('shortens the one OpenDental 24.3 column the rule takes past 63 bytes, naming its source in the comment', () => {
    const long = Object.entries(odSchema).flatMap(([table, def]) =>
      def.columns
        .map((c) => c.name)
        .filter(
          (c) =>
            bytes(snakeCase(c)) > 63 ||
            (enumOfColumn(table, c) !== undefined && bytes(`${snakeCase(c)}_label`) > 63),
        )
        .map((c) => `${table}.${c}`),
    );
    expect(long).toEqual([
      'ehrlabresult.PerformingOrganizationNameAssigningAuthorityUniversalIdType',
    ]);
    const [column] = publicColumns(
      'ehrlabresult',
      [
        {
          name: 'performingorganizationnameassigningauthorityuniversalidtype',
          type: 'character varying(255)',
          comment:
            'From MySQL column PerformingOrganizationNameAssigningAuthorityUniversalIdType varchar(255)',
        },
      ],
      { primaryKey: [] },
    );
    expect(column?.name).toBe('performing_organization_name_assigning_authority_unive_32903c5b');
    expect(column?.comment).toBe(
      'From raw.ehrlabresult.performingorganizationnameassigningauthorityuniversalidtype (varchar(255)). ' +
        'Named performing_organization_name_assigning_authority_unive_32903c5b: ' +
        'performing_organization_name_assigning_authority_universal_id_type ' +
        '(from MySQL column PerformingOrganizationNameAssigningAuthorityUniversalIdType) ' +
        "is longer than PostgreSQL's 63-byte identifier limit.",
    );
  });
});

describe('public column rules', () => {
  const raw = (name: string, type: string, source: string, mysql: string) => ({
    name,
    type,
    comment: `From MySQL column ${source} ${mysql}`,
  });

  it('derives booleans, no-dates, ticks and labels from OpenDental metadata; unknown columns pass through', () => {
    const columns = publicColumns(
      'procedurelog',
      [
        raw('procnum', 'bigint', 'ProcNum', 'bigint(20)'),
        raw('procstatus', 'smallint', 'ProcStatus', 'tinyint(3) unsigned'),
        raw('procdate', 'date', 'ProcDate', 'date'),
        raw('islocked', 'smallint', 'IsLocked', 'tinyint(4)'),
        raw('customflag', 'smallint', 'CustomFlag', 'tinyint(4)'),
        { name: '_etl_loaded_at', type: 'timestamp with time zone', comment: null },
      ],
      { primaryKey: ['procnum'] },
    );
    expect(columns.map((c) => [c.name, c.conversion])).toEqual([
      ['proc_num', 'none'],
      ['proc_status', 'none'],
      ['proc_status_label', 'none'],
      ['proc_date', 'no-date'],
      ['is_locked', 'boolean'],
      ['custom_flag', 'none'],
      ['_etl_loaded_at', 'none'],
    ]);
    expect(columns[2]?.expression).toMatch(/WHEN '2' THEN 'C'/);
    const ticks = publicColumns(
      'apptreminderrule',
      [
        raw('apptreminderrulenum', 'bigint', 'ApptReminderRuleNum', 'bigint(20)'),
        raw('tsprior', 'bigint', 'TSPrior', 'bigint(20)'),
      ],
      { primaryKey: ['apptreminderrulenum'] },
    );
    expect(ticks.map((c) => [c.name, c.conversion, c.isKey])).toEqual([
      ['appt_reminder_rule_num', 'none', true],
      ['ts_prior', 'ticks', false],
    ]);
  });
});
