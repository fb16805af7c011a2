import { readFileSync } from 'node:fs';

/** `CREATE TABLE` statements of all 422 OpenDental 24.3.10 tables, MyISAM and utf8 as in a clinic. */
const schemaSql: string = readFileSync(
  new URL('./data/schema-myisam.sql', import.meta.url),
  'utf8',
);
export default schemaSql;
