import { describe, expect, it } from 'vitest';
import { publicColumns } from '../../core/transform/public-columns';
import { DEFAULT_RULES, OPENDENTAL_RULES } from '../../core/transform/rules/default-rules';
import { rulesFor, type TransformRule, withRule } from '../../core/transform/rules/registry';

const raw = (name: string, type: string, source: string, mysql: string) => ({
  name,
  type,
  comment: `From MySQL column ${source} ${mysql}`,
});

const PATIENT = [
  raw('patnum', 'bigint', 'PatNum', 'bigint(20)'),
  raw('premed', 'smallint', 'Premed', 'tinyint(4)'),
  raw('birthdate', 'date', 'Birthdate', 'date'),
  raw('patstatus', 'smallint', 'PatStatus', 'tinyint(4)'),
];

/** Premed as a clinic might read it: only 1 is true. */
const premedIsOne: TransformRule = {
  name: 'premed is 1',
  apply: ({ ref }) => ({
    expression: `(${ref} = 1)`,
    conversion: 'boolean',
    note: 'only 1 is true',
  }),
};

/** Every date of the table kept as it is, 0001-01-01 included. */
const keepDates: TransformRule = {
  name: 'keep dates',
  apply: ({ column, ref }) =>
    column.type === 'date' ? { expression: ref, conversion: 'none', note: 'kept as stored' } : null,
};

const summary = (columns: ReturnType<typeof publicColumns>) =>
  Object.fromEntries(columns.map((c) => [c.name, [c.expression.slice(0, 40), c.conversion]]));

describe('transform rule registry', () => {
  it('tries column rules, then table rules, then the defaults in order', () => {
    const rules = withRule(
      withRule(OPENDENTAL_RULES, { table: 'patient', column: 'Premed' }, premedIsOne),
      { table: 'patient' },
      keepDates,
    );
    expect(rulesFor(rules, 'patient', 'premed').map((r) => r.name)).toEqual([
      'premed is 1',
      'keep dates',
      ...DEFAULT_RULES.map((r) => r.name),
    ]);
    expect(rulesFor(rules, 'procedurelog', 'premed')).toEqual(DEFAULT_RULES);
  });

  it('lets a column-specific rule take precedence over the defaults without changing them', () => {
    const rules = withRule(OPENDENTAL_RULES, { table: 'patient', column: 'Premed' }, premedIsOne);
    const custom = publicColumns('patient', PATIENT, { primaryKey: ['patnum'], rules });
    expect(custom.find((c) => c.name === 'premed')).toMatchObject({
      expression: '(r."premed" = 1)',
      conversion: 'boolean',
      comment: 'From raw.patient.premed (tinyint(4)); only 1 is true.',
    });
    // The other columns, and the same column of the default registry, keep OpenDental's meaning.
    const defaults = publicColumns('patient', PATIENT, { primaryKey: ['patnum'] });
    const { premed: _custom, ...others } = summary(custom);
    const { premed, ...defaultOthers } = summary(defaults);
    expect(others).toEqual(defaultOthers);
    expect(premed).toEqual(['(r."premed" <> 0)', 'boolean']);
    expect(OPENDENTAL_RULES.columns.size + OPENDENTAL_RULES.tables.size).toBe(0);
  });

  it('lets a table-wide rule override the defaults for that table only; a rule that does not apply falls through', () => {
    const rules = withRule(OPENDENTAL_RULES, { table: 'patient' }, keepDates);
    expect(
      summary(publicColumns('patient', PATIENT, { primaryKey: ['patnum'], rules })),
    ).toMatchObject({
      birthdate: ['r."birthdate"', 'none'],
      premed: ['(r."premed" <> 0)', 'boolean'],
      pat_status_label: [expect.stringMatching(/^CASE r."patstatus"::text/), 'none'],
    });
    const appointment = [
      raw('aptnum', 'bigint', 'AptNum', 'bigint(20)'),
      raw('aptdatetime', 'timestamp without time zone', 'AptDateTime', 'datetime'),
    ];
    expect(
      summary(publicColumns('appointment', appointment, { primaryKey: ['aptnum'], rules })),
    ).toMatchObject({ apt_date_time: [expect.stringMatching(/^NULLIF/), 'no-date'] });
  });

  it('keeps the key as raw holds it whatever a rule says', () => {
    const rules = withRule(OPENDENTAL_RULES, { table: 'patient', column: 'patnum' }, premedIsOne);
    expect(publicColumns('patient', PATIENT, { primaryKey: ['patnum'], rules })[0]).toMatchObject({
      name: 'pat_num',
      expression: 'r."patnum"',
      isKey: true,
    });
  });
});
