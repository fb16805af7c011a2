import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { writeCaFiles } from './ca-files';

/**
 * Compiles the Fargate entrypoint into one JavaScript file with its dependencies
 * (`npm run build:task`; the image's build stage runs it). The image then needs no
 * node_modules, no tsx and no TypeScript: only Node and `dist/ecs-task/`.
 */
export const OUT_DIR = fileURLToPath(new URL('../dist/ecs-task', import.meta.url));

/** `caFiles`: the image's CA_FILES build argument (ecs-tasks/ca-files.ts). */
export async function buildStageTask(
  outdir = OUT_DIR,
  caFiles = process.env.CA_FILES,
): Promise<Metafile> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The image runs Node 22 in AWS; the tests build it on Debian's Node 20.
    target: 'node20',
    // Not minified: a stack trace in the task's log stays readable, and functions and classes
    // keep the names they have in the source (the bundler renames clashing ones otherwise).
    keepNames: true,
    // NODE_OPTIONS=--enable-source-maps (the task's environment) maps stack traces to the source.
    sourcemap: true,
    sourcesContent: false,
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    // pg's optional native binding: pg falls back to JavaScript when it is missing.
    external: ['pg-native'],
    metafile: true,
    logLevel: 'warning',
  });
  writeCaFiles(outdir, caFiles);
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const metafile = await buildStageTask();
  const bytes = Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`dist/ecs-task: ${(bytes / 1e6).toFixed(1)} MB`);
}
