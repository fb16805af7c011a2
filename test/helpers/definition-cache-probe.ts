// Run as a child process (`node --import tsx`, in the repository): loads the whole CLI, then reads
// the default configuration's definition through the cache in argv[2], and prints how many
// aws-cdk-lib modules the process has loaded before and after (it is CommonJS: each module it loads
// is in the require cache, whoever imported it).
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import '../../cli/main';
import { loadConfig } from '../../config/load-config';
import { cachedDefinition } from '../../infra/local/definition-cache';
import { ROOT_DIR } from '../../infra/root-dir';

const cdkModules = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((path) =>
    path.includes(`${sep}node_modules${sep}aws-cdk-lib${sep}`),
  ).length;

const beforeRead = cdkModules();
const definition = await cachedDefinition(loadConfig({ env: {}, cwd: ROOT_DIR }), {
  dir: String(process.argv[2]),
});
process.stdout.write(
  JSON.stringify({
    states: Object.keys(definition.States).length,
    cdkModulesBeforeRead: beforeRead,
    cdkModules: cdkModules(),
  }),
);
