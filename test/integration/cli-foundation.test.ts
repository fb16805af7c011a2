import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main';
import type { MysqlSession } from '../../core/db/ports';
import { adminMysql, dropMysqlDatabases, testDatabaseName } from '../helpers/local-databases';

const DB = testDatabaseName('cli');
const CANARY = 'Canary-Cli-Pw-93be';
let admin: MysqlSession;
let dir: string;
let output: string[];

beforeAll(async () => {
  admin = await adminMysql();
  dir = mkdtempSync(join(tmpdir(), 'etl-cli-'));
  writeFileSync(
    join(dir, 'pipeline.yml'),
    `connections:\n  source:\n    database: ${DB}\n    password: \${TEST_SOURCE_PASSWORD:-}\n`,
  );
});

afterAll(async () => {
  await dropMysqlDatabases(admin, DB);
  await admin.close();
});

function capture() {
  output = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void output.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void output.push(args.join(' ')));
}
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.TEST_SOURCE_PASSWORD;
});

describe('etl-pipeline demo seed and discover', () => {
  it('seeds the demo clinic and prints row counts per table', async () => {
    capture();
    const code = await main([
      'demo',
      'seed',
      '--scale',
      'tiny',
      '--seed',
      '3',
      '--config',
      join(dir, 'pipeline.yml'),
    ]);
    expect(code).toBe(0);
    expect(output.join('\n')).toMatch(/created 422 tables/);
    expect(output.join('\n')).toMatch(/^\s+procedurelog\s+[\d,]+ rows/m);
    expect(output.at(-1)).toMatch(/^Done: \d+ tables filled, [\d,]+ rows/);
  });

  it('discovers the schema, prints the plan and writes the discovery log', async () => {
    capture();
    const logs = join(dir, 'logs');
    const code = await main(['discover', '--config', join(dir, 'pipeline.yml'), '--logs', logs]);
    expect(code).toBe(0);
    const [file] = readdirSync(logs).filter((f) => /^schema_discovery_\d{8}T\d{6}\.log$/.test(f));
    expect(file).toBeDefined();
    const log = readFileSync(join(logs, file as string), 'utf8');
    expect(log).toMatch(
      /^patient\tMyISAM\t\d+\t\d+\t84\tPatNum\tDateTStamp\t1\tlambda\ttimestamp/m,
    );
    expect(log.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(422);
    expect(output[1]).toMatch(/^1\s+patient\s/);
  });

  it('exits 2 on a configuration error and 3 when the database cannot be reached, without the password', async () => {
    capture();
    writeFileSync(join(dir, 'bad.yml'), 'general:\n  batch_size: many\n');
    expect(await main(['config', 'validate', '--config', join(dir, 'bad.yml')])).toBe(2);
    expect(output.join('\n')).toMatch(/bad\.yml:2:15 general\.batch_size/);

    process.env.TEST_SOURCE_PASSWORD = CANARY;
    expect(await main(['discover', '--config', join(dir, 'pipeline.yml')])).toBe(3);
    expect(output.join('\n')).toMatch(/AuthenticationError/);
    expect(output.join('\n')).not.toContain(CANARY);
  });

  it('exits 2 on a usage error', async () => {
    capture();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['demo', 'seed', '--scale', 'huge'])).toBe(2);
  });
});
