import { quoteMysql } from '../../core/db/identifiers';
import type { MysqlSession } from '../../core/db/ports';
import { CANARY } from './emitted-output';

let changeRound = 0;

/**
 * Plants the canaries in the source's patient rows, commlog and appointment notes: PHI that the
 * pipeline copies, so that any log, alert or metric printing row values is caught.
 */
export async function plantCanaries(admin: MysqlSession, source: string): Promise<void> {
  const t = (table: string) => `${quoteMysql(source)}.${quoteMysql(table)}`;
  await admin.execute(
    `UPDATE ${t('patient')} SET LName = ?, FName = ?, SSN = ?, Email = ?, MedUrgNote = ? WHERE PatNum % 7 = 1`,
    [CANARY.lastName, CANARY.firstName, CANARY.ssn, CANARY.email, CANARY.note],
  );
  await admin.execute(`UPDATE ${t('commlog')} SET Note = ? WHERE CommlogNum % 5 = 1`, [
    CANARY.note,
  ]);
  await admin.execute(`UPDATE ${t('appointment')} SET Note = ? WHERE AptNum % 5 = 1`, [
    CANARY.note,
  ]);
}

/** One clinic day of changes to the source; each call is a new round, so it changes other rows. */
export async function dayOfChanges(admin: MysqlSession, source: string): Promise<void> {
  const round = ++changeRound;
  const t = (table: string) => `${quoteMysql(source)}.${quoteMysql(table)}`;
  await admin.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  await admin.execute(
    `UPDATE ${t('procedurelog')} SET ProcFee = ProcFee + 1 WHERE ProcNum % 97 = ?`,
    [round % 97],
  );
  await admin.execute(`DELETE FROM ${t('procedurelog')} WHERE ProcNum % 211 = ?`, [round % 211]);
  const [max] = await admin.queryArrays(`SELECT MAX(ProcNum) FROM ${t('procedurelog')}`);
  await admin.execute(
    `CREATE TEMPORARY TABLE ${t('flt_copy')} AS SELECT * FROM ${t('procedurelog')} LIMIT 25`,
  );
  await admin.execute(`UPDATE ${t('flt_copy')} SET ProcNum = ProcNum + ?`, [Number(max?.[0])]);
  await admin.execute(`INSERT INTO ${t('procedurelog')} SELECT * FROM ${t('flt_copy')}`);
  await admin.execute(`DROP TEMPORARY TABLE ${t('flt_copy')}`);
  // The canary patients are edited too: their rows travel again.
  await admin.execute(
    `UPDATE ${t('patient')} SET HmPhone = CONCAT('555-01', LPAD(?, 2, '0')) WHERE PatNum % 7 = 1`,
    [round % 100],
  );
  await admin.execute(
    `UPDATE ${t('paysplit')} SET SplitAmt = SplitAmt + 1 WHERE SplitNum % 53 = ?`,
    [round % 53],
  );
  await admin.execute(
    `UPDATE ${t('definition')} SET ItemName = CONCAT(ItemName, '.') WHERE DefNum = 1`,
  );
}
