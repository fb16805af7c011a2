import { describe, expect, it } from 'vitest';
import type { DiscoveredColumn, DiscoveredTable } from '../../core/discovery/discover-schema';
import { columnDefinitions, replicaDdl, workTableName } from '../../core/extract/replica-ddl';
import { planSchemaSync } from '../../core/extract/schema-sync';

const SHOW_CREATE = `CREATE TABLE \`patient\` (
  \`PatNum\` bigint(20) NOT NULL AUTO_INCREMENT,
  \`LName\` varchar(100) DEFAULT '',
  \`Note\` text DEFAULT NULL,
  PRIMARY KEY (\`PatNum\`),
  KEY \`indexLName\` (\`LName\`(10)),
  UNIQUE KEY \`u\` (\`LName\`,\`PatNum\`)
) ENGINE=MyISAM AUTO_INCREMENT=528 DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci`;

describe('replicaDdl', () => {
  it('keeps columns and indexes, makes the table InnoDB and drops the counter', () => {
    const ddl = replicaDdl(SHOW_CREATE, '_etl_new_patient');
    expect(ddl.full).toContain('CREATE TABLE `_etl_new_patient`');
    expect(ddl.full).toContain('ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci');
    expect(ddl.full).not.toContain('AUTO_INCREMENT=528');
    expect(ddl.full).toContain('KEY `indexLName` (`LName`(10))');
  });

  it('splits secondary indexes off for bulk copies', () => {
    const ddl = replicaDdl(SHOW_CREATE, 'x');
    expect(ddl.withoutSecondaryIndexes).not.toMatch(/KEY `indexLName`|UNIQUE KEY/);
    expect(ddl.withoutSecondaryIndexes).toMatch(/PRIMARY KEY \(`PatNum`\)\n\) ENGINE=InnoDB/);
    expect(ddl.addSecondaryIndexes).toBe(
      'ALTER TABLE `x` ADD KEY `indexLName` (`LName`(10)), ADD UNIQUE KEY `u` (`LName`,`PatNum`)',
    );
  });

  it('reads column definitions and keeps work table names within 64 characters', () => {
    expect(columnDefinitions(SHOW_CREATE).get('LName')).toBe("varchar(100) DEFAULT ''");
    expect(workTableName('new', 'patient')).toBe('_etl_new_patient');
    expect(workTableName('old', 'x'.repeat(64)).length).toBeLessThanOrEqual(64);
  });
});

const col = (name: string, columnType = 'bigint(20)'): DiscoveredColumn => ({
  name,
  ordinal: 0,
  columnType,
  dataType: columnType.replace(/\(.*/, ''),
  nullable: false,
  default: null,
  extra: '',
  charset: null,
  collation: null,
});
const table = (
  columns: DiscoveredColumn[],
  extra: Partial<DiscoveredTable> = {},
): DiscoveredTable => ({
  name: 'patient',
  engine: 'MyISAM',
  collation: null,
  estimatedRows: 0,
  bytes: 0,
  columns,
  primaryKey: ['PatNum'],
  indexes: [{ name: 'indexLName', unique: false, columns: [{ name: 'LName', subPart: 10 }] }],
  changeColumn: null,
  ...extra,
});

describe('planSchemaSync', () => {
  const before = table([col('PatNum'), col('LName', 'varchar(100)')]);

  it('creates a missing replica table and leaves an identical one alone', () => {
    expect(planSchemaSync(before, undefined, SHOW_CREATE).action).toBe('create');
    expect(planSchemaSync(before, before, SHOW_CREATE)).toEqual({ action: 'none' });
  });

  it('adds new columns in place, at their position', () => {
    const after = table([col('PatNum'), col('LName', 'varchar(100)'), col('Note', 'text')]);
    expect(planSchemaSync(after, before, SHOW_CREATE)).toEqual({
      action: 'alter',
      statements: ['ALTER TABLE `patient` ADD COLUMN `Note` text DEFAULT NULL AFTER `LName`'],
      addedColumns: ['Note'],
      reason: 'columns added: Note',
    });
  });

  it('rebuilds on a changed type, a dropped column, a reordering or a new key', () => {
    expect(
      planSchemaSync(table([col('PatNum'), col('LName', 'varchar(200)')]), before, SHOW_CREATE),
    ).toMatchObject({
      action: 'rebuild',
      reason: 'column LName changed (varchar(100) → varchar(200))',
    });
    expect(planSchemaSync(table([col('PatNum')]), before, SHOW_CREATE)).toMatchObject({
      action: 'rebuild',
      reason: 'column LName was dropped',
    });
    expect(
      planSchemaSync(table([col('LName', 'varchar(100)'), col('PatNum')]), before, SHOW_CREATE),
    ).toMatchObject({
      action: 'rebuild',
      reason: 'column order changed',
    });
    expect(
      planSchemaSync(table(before.columns, { primaryKey: ['LName'] }), before, SHOW_CREATE).action,
    ).toBe('rebuild');
  });

  it('adds and drops changed indexes in place', () => {
    const after = table(before.columns, {
      indexes: [{ name: 'indexLName', unique: false, columns: [{ name: 'LName', subPart: 12 }] }],
    });
    expect(planSchemaSync(after, before, SHOW_CREATE)).toMatchObject({
      action: 'alter',
      statements: [
        'ALTER TABLE `patient` DROP INDEX `indexLName`',
        'ALTER TABLE `patient` ADD INDEX `indexLName` (`LName`(12))',
      ],
      reason: 'indexes changed',
    });
  });
});
