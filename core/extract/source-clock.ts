import type { MysqlSession } from '../db/ports';

/**
 * Both servers' clocks at the start of a table's extract. OpenDental stamps its change columns
 * with the source server's clock, so the watermark is the source's `NOW()`; the replica's clock
 * is the independent witness of how much real time passed since the last extract.
 */
export interface Clocks {
  /** Source `NOW()` as `YYYY-MM-DD HH:MM:SS` (the sessions run in UTC). */
  sourceNow: string;
  sourceEpoch: number;
  replicaEpoch: number;
}

export async function readClocks(source: MysqlSession, replica: MysqlSession): Promise<Clocks> {
  const [[s], [r]] = await Promise.all([
    source.queryArrays('SELECT DATE_FORMAT(NOW(), ?), UNIX_TIMESTAMP(NOW())', [
      '%Y-%m-%d %H:%i:%s',
    ]),
    replica.queryArrays('SELECT UNIX_TIMESTAMP(NOW())'),
  ]);
  return {
    sourceNow: String(s?.[0]),
    sourceEpoch: Number(s?.[1]),
    replicaEpoch: Number(r?.[0]),
  };
}

/**
 * Seconds the source clock lost against the replica's since the last extract (0: none beyond the
 * tolerance). A source clock stepped back by more than the tolerance stamps new changes earlier
 * than the stored watermark, and writes files with modification times earlier than the last
 * verification: both the window and `UPDATE_TIME` then need care.
 */
export function sourceClockStepBack(
  previous: { sourceEpoch: number | null; replicaEpoch: number | null } | null,
  now: Clocks,
  toleranceSeconds: number,
): number {
  if (previous?.sourceEpoch == null || previous.replicaEpoch == null) return 0;
  const sourceElapsed = now.sourceEpoch - previous.sourceEpoch;
  const realElapsed = now.replicaEpoch - previous.replicaEpoch;
  const lost = realElapsed - sourceElapsed;
  return lost > toleranceSeconds ? lost : 0;
}

/**
 * The timestamp window's start once the source clock was seen stepped back: every change since
 * the last extract was stamped at a source time no earlier than the source's now minus the real
 * time that passed (the clock runs forward from wherever it was stepped to).
 */
export function widenedSince(watermark: string, now: Clocks, previousReplicaEpoch: number): string {
  const realElapsed = now.replicaEpoch - previousReplicaEpoch;
  const earliest = epochText(now.sourceEpoch - realElapsed);
  return earliest < watermark ? earliest : watermark;
}

/** Unix seconds as the sessions' UTC `YYYY-MM-DD HH:MM:SS`. */
export function epochText(epoch: number): string {
  return new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) as Unix seconds. */
export function textEpoch(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`) / 1000;
}
