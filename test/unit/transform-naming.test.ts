import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enumOfColumn, odSchema } from '../../core/opendental/reference';
import { publicColumnNames, snakeCase } from '../../core/transform/naming';
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
      expect(names).toEqual(columns.map(snakeCase));
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
      ['procnum'],
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
      ['apptreminderrulenum'],
    );
    expect(ticks.map((c) => [c.name, c.conversion, c.isKey])).toEqual([
      ['appt_reminder_rule_num', 'none', true],
      ['ts_prior', 'ticks', false],
    ]);
  });
});
