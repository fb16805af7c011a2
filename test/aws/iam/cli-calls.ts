import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ROOT_DIR } from '../../../infra/build-app';

/**
 * The AWS calls the `etl-pipeline` command makes, read from its code with the TypeScript
 * compiler: every module the CLI loads (the import graph from cli/main.ts), every command sent
 * to an AWS SDK client (`new XCommand({ … })`) and every paginator (`paginateX(config, { … })`),
 * as the IAM action and the request parameters that name its resource. What it cannot read
 * (a command built elsewhere, an SDK client it does not know, Powertools' parameter providers)
 * throws: a call it missed would be a permission the operator policy never gets checked for.
 */

/** The IAM service prefix of each AWS SDK client package the CLI may use. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-cloudformation': 'cloudformation',
};

/** Request parameters that name the resource a call acts on. */
export const RESOURCE_PARAMETERS = ['StackName', 'stateMachineArn', 'executionArn', 'mapRunArn'];

export interface CliCall {
  action: string;
  /** The resource-naming parameters its request sets. */
  on: string[];
  /** file:line of the call. */
  at: string;
}

/** Every module the CLI loads from the repository, from its entry point (relative paths). */
export function cliModules(entry = 'cli/main.ts'): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const info = ts.preProcessFile(readFileSync(join(ROOT_DIR, file), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      // Packages, and data files (JSON) that make no call.
      if (!fileName.startsWith('.') || /\.(json|sql|yml)$/.test(fileName)) continue;
      const target = resolveModule(join(ROOT_DIR, dirname(file)), fileName);
      if (!target) throw new Error(`${file}: cannot resolve ${fileName}`);
      queue.push(relative(ROOT_DIR, target));
    }
  }
  return [...seen].sort();
}

function resolveModule(directory: string, specifier: string): string | undefined {
  const base = resolve(directory, specifier.replace(/\.[cm]?js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts'), base].find(
    (candidate) => candidate.endsWith('.ts') && existsSync(candidate),
  );
}

/** The AWS calls of every module the CLI loads. */
export function cliCalls(entry = 'cli/main.ts'): CliCall[] {
  return cliModules(entry).flatMap(callsIn);
}

/** The AWS calls of one module (a path relative to the repository root). */
export function callsIn(file: string): CliCall[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT_DIR, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const imported = sdkImports(source);
  if (imported.size === 0) return [];
  const at = (node: ts.Node) =>
    `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const calls: CliCall[] = [];
  const visit = (node: ts.Node) => {
    const call = asCall(node);
    if (call) {
      const prefix = imported.get(call.callee);
      const name = prefix && operationOf(call.callee, call.kind);
      if (prefix && name) {
        const on = parametersOf(call.request);
        if (!on) throw new Error(`${at(node)}: ${call.callee} takes no object literal to read`);
        if (on.length === 0)
          throw new Error(`${at(node)}: ${call.callee} names none of ${RESOURCE_PARAMETERS}`);
        calls.push({ action: `${prefix}:${name}`, on, at: at(node) });
      }
    }
    // A client's send() must take its command in place, where its name can be read.
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'send'
    ) {
      const [argument] = node.arguments;
      const sent = argument && ts.isNewExpression(argument) ? argument.expression.getText() : '';
      if (!imported.has(sent)) throw new Error(`${at(node)}: cannot tell which command is sent`);
    }
    node.forEachChild(visit);
  };
  visit(source);
  return calls;
}

/** Value imports from AWS SDK client packages: local name → IAM prefix. */
function sdkImports(source: ts.SourceFile): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const from = (statement.moduleSpecifier as ts.StringLiteral).text;
    const clause = statement.importClause;
    if (!clause || clause.isTypeOnly) continue;
    if (from.startsWith('@aws-lambda-powertools/parameters'))
      throw new Error(`${source.fileName}: Powertools parameters make AWS calls not modelled here`);
    if (!from.startsWith('@aws-sdk/')) continue;
    const prefix = IAM_PREFIX[from];
    if (!prefix) throw new Error(`${source.fileName}: ${from} is not modelled (cli-calls.ts)`);
    const bindings = clause.namedBindings;
    if (clause.name || !bindings || !ts.isNamedImports(bindings))
      throw new Error(`${source.fileName}: import named members of ${from}, to be read`);
    for (const element of bindings.elements)
      if (!element.isTypeOnly) names.set(element.name.text, prefix);
  }
  return names;
}

function asCall(
  node: ts.Node,
): { kind: 'command' | 'paginator'; callee: string; request?: ts.Expression } | undefined {
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression))
    return { kind: 'command', callee: node.expression.text, request: node.arguments?.[0] };
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression))
    return { kind: 'paginator', callee: node.expression.text, request: node.arguments[1] };
  return undefined;
}

/** `StartExecutionCommand` → `StartExecution`; `paginateListExecutions` → `ListExecutions`. */
function operationOf(callee: string, kind: 'command' | 'paginator'): string | undefined {
  if (kind === 'command') return /^(\w+)Command$/.exec(callee)?.[1];
  return /^paginate(\w+)$/.exec(callee)?.[1];
}

function parametersOf(request: ts.Expression | undefined): string[] | undefined {
  if (!request || !ts.isObjectLiteralExpression(request)) return undefined;
  return request.properties
    .flatMap((p) => (p.name && ts.isIdentifier(p.name) ? [p.name.text] : []))
    .filter((name) => RESOURCE_PARAMETERS.includes(name));
}
