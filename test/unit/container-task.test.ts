import { describe, expect, it } from 'vitest';
import { containerTask } from '../../infra/local/container-task';

describe('containerTask (run --fargate-runner container)', () => {
  const taskEnvironment = {
    PIPELINE_CONFIG: '{"connections":{"source":{"password":"Canary-Container-Secret-41"}}}',
    ETL_TABLE: 'patient',
    ETL_EXIT_WITH_PARENT: '1',
  };
  const launch = containerTask('localhost/etl-stage-task:test', { PATH: '/usr/bin' })(
    taskEnvironment,
  );

  it('runs the image as the task definition does, never pulling, killed with the runner', () => {
    expect(launch.command).toBe('podman');
    const [verb, ...flags] = launch.args;
    expect(verb).toBe('run');
    expect(flags).toEqual(
      expect.arrayContaining(['--rm', '--interactive', '--pull=never', '--read-only']),
    );
    expect(flags.join(' ')).toContain('--tmpfs /tmp');
    expect(flags.join(' ')).toContain('--network host');
    // No --user: the image's own non-root user runs it.
    expect(flags).not.toContain('--user');
    expect(launch.args.at(-1)).toBe('localhost/etl-stage-task:test');
  });

  it('passes every variable by name, its value only in podman’s environment, never on the command line', () => {
    for (const [name, value] of Object.entries(taskEnvironment)) {
      expect(launch.args.join(' ')).toContain(`--env ${name}`);
      expect(launch.env[name]).toBe(value);
    }
    expect(launch.args.join(' ')).not.toContain('Canary-Container-Secret-41');
    expect(launch.env.PATH).toBe('/usr/bin');
    expect(launch.env.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('mounts each configured CA file read-only at its own path, once', () => {
    const config = {
      connections: {
        source: { tls: { ca_file: '/etc/clinic/ca.pem' } },
        replication: { tls: { ca_file: '/etc/clinic/ca.pem' } },
        analytics: { tls: true },
      },
    };
    const { args } = containerTask('img', {})({ PIPELINE_CONFIG: JSON.stringify(config) });
    expect(args.filter((a) => a === '--volume')).toHaveLength(1);
    expect(args.join(' ')).toContain('--volume /etc/clinic/ca.pem:/etc/clinic/ca.pem:ro');
    expect(launch.args).not.toContain('--volume');
  });
});
