#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step): tsx compiles on load.
import { register } from 'tsx/esm/api';

register();
// `etl-pipeline dbt-sources | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// A connection left open by a failed command must not keep the process alive: give pending
// output a moment to flush, then exit with the command's code.
setTimeout(() => process.exit(process.exitCode), 1000).unref();
