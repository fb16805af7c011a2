import { describe, expect, it } from 'vitest';
import { configErrorOf, loadConfigText } from '../helpers/config-files';

/** Writes pipeline.yml into a fresh folder and loads it. */
const load = (pipeline: string) => loadConfigText(pipeline);

const configError = (pipeline: string) => configErrorOf(pipeline);

/** A replica provisioned by the stack; its connection's TLS is automatic (a remote server). */
const REPLICA =
  'aws:\n  databases:\n    replica: {}\nconnections:\n  replication:\n    port: 3306\n';

describe('aws.databases', () => {
  it('provisions nothing by default: the connections name their own servers', () => {
    expect(load('').pipeline.aws.databases).toEqual({});
  });

  it('fills in every setting of a database that is asked for', () => {
    const { databases } = load(REPLICA).pipeline.aws;
    expect(databases).toEqual({
      replica: {
        instance_class: 'db.t4g.medium',
        engine_version: '10.11',
        allocated_storage_gb: 100,
        multi_az: false,
        backup_retention_days: 7,
        deletion_protection: true,
        admit_cidrs: [],
      },
    });
    const analytics = load(
      'aws:\n  databases:\n    analytics:\n      engine_version: "16.4"\n      multi_az: true\n',
    ).pipeline.aws.databases.analytics;
    expect(analytics).toMatchObject({ engine_version: '16.4', multi_az: true });
    expect(
      configError('aws:\n  databases:\n    analytics:\n      admit_cidrs: [192.168.10.1/24]\n'),
    ).toMatch(/pipeline\.yml:4:21 aws\.databases\.analytics\.admit_cidrs\.0: has host bits set/);
  });

  it('refuses a secret_id for a connection whose database the stack provisions, naming the key and line', () => {
    const message = configError(`${REPLICA}    secret_id: opendental/replication\n`);
    expect(message).toMatch(
      /pipeline\.yml:7:16 connections\.replication\.secret_id: must not be set with aws\.databases\.replica: the stack generates that database's secret/,
    );
    // The other connection keeps its own secret.
    const other = load(`${REPLICA}  analytics:\n    secret_id: opendental/analytics\n`);
    expect(other.pipeline.connections.analytics.secret_id).toBe('opendental/analytics');
  });

  it('refuses a connection without TLS to a database the stack provisions', () => {
    const message = configError(
      'aws:\n  databases:\n    analytics: {}\nconnections:\n  analytics:\n    tls: false\n',
    );
    expect(message).toMatch(
      /pipeline\.yml:6:10 connections\.analytics\.tls: must not be false with aws\.databases\.analytics: the provisioned database accepts TLS connections only/,
    );
    // Left out, tls is automatic: verified TLS to the provisioned (remote) server.
    expect(
      load('aws:\n  databases:\n    replica: {}\n').pipeline.aws.databases.replica,
    ).toBeDefined();
  });

  it('refuses an engine version the parameter groups cannot serve, and an unknown key', () => {
    const message = configError(
      'aws:\n  databases:\n    replica:\n      engine_version: "10.4"\n    analytics:\n      engine_version: "12"\n      backup_retention: 7\n',
    );
    expect(message).toMatch(
      /pipeline\.yml:4:23 aws\.databases\.replica\.engine_version: must be a MariaDB version 10\.5 or later/,
    );
    expect(message).toMatch(
      /pipeline\.yml:6:23 aws\.databases\.analytics\.engine_version: must be a PostgreSQL version 13 or later/,
    );
    expect(message).toMatch(
      /aws\.databases\.analytics\.backup_retention: unknown key \(did you mean "backup_retention_days"\?\)/,
    );
  });
});
