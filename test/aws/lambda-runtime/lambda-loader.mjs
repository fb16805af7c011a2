// One Lambda execution environment, as the Node.js runtime runs it (a child process of the test).
//
// It follows aws-lambda-nodejs-runtime-interface-client (src/UserFunction.js, src/Runtime.js,
// src/Errors.js): the handler string `_HANDLER` is resolved in `LAMBDA_TASK_ROOT`; the module is
// required extension-less, then as `.js` unless the nearest package.json says "type": "module",
// then imported as `.js` (ES module scope) or `.mjs`, then required as `.cjs`; the handler is the
// exported property path (no `.default` fallback: the runtime has none). Invocations arrive over
// IPC one at a time; a failure is answered like the runtime's error response (errorType = the
// error's `name`) and logged as the runtime logs it ("Invoke Error" with the error's enumerable
// properties), so a test sees the log lines CloudWatch would get.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { isNativeError } from 'node:util/types';

const require = createRequire(import.meta.url);

class RuntimeError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = `Runtime.${kind}`;
  }
}

function typeModuleIn(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const pj = join(folder, 'package.json');
  if (existsSync(pj)) return JSON.parse(readFileSync(pj, 'utf8')).type === 'module';
  return folder === '/' ? false : typeModuleIn(resolve(folder, '..'));
}

const requireFile = (file) => (existsSync(file) ? require(file) : undefined);
const importFile = async (file) => (existsSync(file) ? await import(file) : undefined);

async function loadModule(path) {
  const extensionless = requireFile(path);
  if (extensionless) return extensionless;
  const esm = existsSync(`${path}.js`) && typeModuleIn(dirname(`${path}.js`));
  if (!esm) {
    const loaded = requireFile(`${path}.js`);
    if (loaded) return loaded;
  }
  return (
    (esm && (await importFile(`${path}.js`))) ||
    (await importFile(`${path}.mjs`)) ||
    requireFile(`${path}.cjs`)
  );
}

async function loadHandler(taskRoot, handlerString) {
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) throw new RuntimeError('MalformedHandlerName', 'Bad handler');
  const [, module, handlerPath] = match;
  let app;
  try {
    app = await loadModule(resolve(taskRoot, module));
  } catch (error) {
    if (error instanceof SyntaxError) throw new RuntimeError('UserCodeSyntaxError', String(error));
    if (error?.code === 'MODULE_NOT_FOUND')
      throw new RuntimeError('ImportModuleError', String(error));
    throw error;
  }
  if (!app) throw new RuntimeError('ImportModuleError', `Cannot find module '${module}'`);
  const handler = handlerPath.split('.').reduce((nested, key) => nested?.[key], app);
  if (!handler)
    throw new RuntimeError('HandlerNotFound', `${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function')
    throw new RuntimeError('HandlerNotFound', `${handlerString} is not a function`);
  return handler;
}

/** The runtime's error response (Errors.js `toRapidResponse`). */
function toRapidResponse(error) {
  if (isNativeError(error) || (error?.name && error?.message && error?.stack)) {
    return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** The runtime's "Invoke Error" log line (Errors.js `toFormatted`). */
function logInvokeError(error) {
  const withProperties = (_key, value) =>
    value instanceof Error
      ? {
          errorType: value.name,
          errorMessage: value.message,
          code: value.code,
          ...value,
          stack: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
        }
      : value;
  const err = error instanceof Error ? error : new Error(error);
  console.error('Invoke Error', `\t${JSON.stringify(err, withProperties)}`);
}

/** Ends the current invocation (at most once) with an error or a result. */
let current = null;

function invoke(handler, { id, body, functionArn, deadlineMs, traceId }) {
  process.env._X_AMZN_TRACE_ID = traceId;
  let settled = false;
  const done = (error, result, then) => {
    if (settled) return;
    settled = true;
    current = null;
    if (error) {
      logInvokeError(error);
      process.send({ type: 'result', id, error: toRapidResponse(error) }, then);
    } else {
      // The runtime answers with JSON.stringify of the result: undefined becomes null.
      process.send({ type: 'result', id, payload: JSON.stringify(result) ?? 'null' }, then);
    }
  };
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    invokedFunctionArn: functionArn,
    awsRequestId: id,
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    succeed: (result) => done(null, result),
    fail: (error) => done(error ?? new Error('handled')),
    done: (error, result) => done(error, result),
  };
  current = done;
  try {
    const result = handler(JSON.parse(body), context, done);
    if (typeof result?.then === 'function') result.then((value) => done(null, value), done);
  } catch (error) {
    done(error);
  }
}

// As the runtime: an error escaping the handler fails the invocation and ends the environment.
for (const [event, code] of [
  ['uncaughtException', 129],
  ['unhandledRejection', 128],
]) {
  process.on(event, (error) => {
    const exit = () => process.exit(code);
    if (current) current(error, undefined, exit);
    else exit();
  });
}

let handler;
try {
  handler = await loadHandler(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
  process.send({ type: 'ready' });
} catch (error) {
  logInvokeError(error);
  process.send({ type: 'init-error', error: toRapidResponse(error) });
}
process.on('message', (message) => {
  if (message?.type === 'invoke' && handler) invoke(handler, message);
});
