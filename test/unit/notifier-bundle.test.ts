import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the Slack notifier bundle', () => {
  it('holds no database driver and no data-plane code: it only forwards alerts', async () => {
    const result = await build({
      entryPoints: ['lambdas/aws/notify-slack.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.includes('core/alerts/slack-channel.ts'))).toBe(true);
    const heavy = inputs.filter((p) =>
      /node_modules\/(mysql2|pg|pg-copy-streams)\/|core\/(db|extract|load|transform|opendental)\//.test(
        p,
      ),
    );
    expect(heavy).toEqual([]);
  });
});
