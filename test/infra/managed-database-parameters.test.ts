import { describe, expect, it } from 'vitest';
import {
  MYSQL_CHARSET,
  MYSQL_COLLATION,
  MYSQL_SESSION_TIME_ZONE,
  REPLICA_SQL_MODE,
} from '../../core/db/mysql-session-settings';
import { synthesizedParameters } from '../helpers/synthesized-parameters';

/** The offset of a named time zone, as MySQL writes it (`+00:00`), at a given instant. */
function offsetOf(zone: string, at: Date): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value;
  return name === 'GMT' ? '+00:00' : (name ?? '').replace('GMT', '');
}

describe('the replica parameter group agrees with what the pipeline’s sessions set', () => {
  const parameters = synthesizedParameters('mariadb');

  it('has the sql_mode the extract writes with (OpenDental’s non-strict mode)', () => {
    expect(parameters.sql_mode).toBe(REPLICA_SQL_MODE);
    expect(REPLICA_SQL_MODE).toBe('NO_AUTO_VALUE_ON_ZERO');
  });

  it('has the time zone of the sessions, all year round', () => {
    for (const month of [0, 6])
      expect(offsetOf(parameters.time_zone ?? '', new Date(Date.UTC(2025, month, 15)))).toBe(
        MYSQL_SESSION_TIME_ZONE,
      );
  });

  it('creates the replica database in the character set and collation of the sessions and LOAD DATA', () => {
    expect(parameters.character_set_server).toBe(MYSQL_CHARSET);
    expect(parameters.collation_server).toBe(MYSQL_COLLATION);
  });

  it('allows LOAD DATA LOCAL INFILE and refuses connections without TLS', () => {
    expect(parameters.local_infile).toBe('1');
    expect(parameters.require_secure_transport).toBe('1');
  });
});

describe('the analytics parameter group', () => {
  it('refuses connections without TLS', () => {
    expect(synthesizedParameters('postgres')['rds.force_ssl']).toBe('1');
  });
});
