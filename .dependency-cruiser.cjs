// Import rules for `npm run lint:imports` (run first by `npm test`); test/unit/import-rules.test.ts
// proves each one fires. One line per rule, and why:
// no-cross-stage-imports    extract/load/transform never import each other: each runs on its own.
// core-not-to-adapters      core/ never imports infra, lambdas, ecs-tasks, cli, test, bench.
// core-not-to-aws           core/ never imports AWS SDK/Powertools/CDK: it must run without AWS.
// infra-only-via-runtime    infra/ reaches core/ only via core/runtime/ (plus contract/, config/).
// adapters-only-via-runtime lambdas/, ecs-tasks/ reach core/ only via core/runtime/: kept thin.
// config-only-to-contract   config/ imports only contract/, npm, node builtins: it sits underneath.
// contract-self-contained   contract/ imports only contract/, zod, node builtins: all share it.
// cli-not-to-adapters       cli/ never imports lambdas/ or ecs-tasks/: those are AWS entrypoints.
// no-circular               no module-level cycles anywhere: they blur layers and load order.
// not-to-unresolvable       every import resolves: the path rules cannot see one that does not.
// Type-only imports count like value imports (tsPreCompilationDeps: true): `import type` still
// couples the importer to that module's layer, and a type-only edge can close a cycle.
// Do not add node_modules to options.exclude: that drops the npm edges core-not-to-aws checks.

const STAGES = '(extract|load|transform)';
// The AWS packages, resolved (node_modules/...; @types/aws-lambda for `import type ... from
// 'aws-lambda'`) or unresolved (the bare module name).
const AWS_PACKAGES = [
  '(^|/)node_modules/(@aws-sdk|@aws-lambda-powertools)/',
  '(^|/)node_modules/(@types/)?(aws-cdk-lib|constructs|aws-lambda)/',
  '^(@aws-sdk|@aws-lambda-powertools)/',
  '^(aws-cdk-lib|constructs|aws-lambda)(/|$)',
];
const NODE_MODULES = '(^|/)node_modules/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cross-stage-imports',
      comment: 'A stage (core/extract, core/load, core/transform) never imports another stage.',
      severity: 'error',
      from: { path: `^core/${STAGES}/` },
      to: { path: `^core/${STAGES}/`, pathNot: '^core/$1/' },
    },
    {
      name: 'core-not-to-adapters',
      comment: 'core/ never imports infra/, lambdas/, ecs-tasks/, cli/, test/ or bench/.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(infra|lambdas|ecs-tasks|cli|test|bench)/' },
    },
    {
      name: 'core-not-to-aws',
      comment:
        'core/ never imports the AWS SDK, Powertools, aws-cdk-lib, constructs or aws-lambda.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: AWS_PACKAGES },
    },
    {
      name: 'infra-only-via-runtime',
      comment: 'infra/ reaches core/ only through core/runtime/.',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^core/', pathNot: '^core/runtime/' },
    },
    {
      name: 'adapters-only-via-runtime',
      comment: 'lambdas/ and ecs-tasks/ reach core/ only through core/runtime/.',
      severity: 'error',
      from: { path: '^(lambdas|ecs-tasks)/' },
      to: { path: '^core/', pathNot: '^core/runtime/' },
    },
    {
      name: 'config-only-to-contract',
      comment: 'config/ imports only config/, contract/, npm packages and node builtins.',
      severity: 'error',
      from: { path: '^config/' },
      to: { pathNot: ['^(config|contract)/', NODE_MODULES], dependencyTypesNot: ['core'] },
    },
    {
      name: 'contract-self-contained',
      comment: 'contract/ imports only contract/, zod and node builtins.',
      severity: 'error',
      from: { path: '^contract/' },
      to: {
        pathNot: ['^contract/', '(^|/)node_modules/zod/', '^zod(/|$)'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'cli-not-to-adapters',
      comment: 'cli/ never imports lambdas/ or ecs-tasks/.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^(lambdas|ecs-tasks)/' },
    },
    {
      name: 'no-circular',
      comment: 'No module-level import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves; the path rules cannot see an import that does not.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: NODE_MODULES },
    exclude: { path: ['^cdk\\.out/', '^bench/(results|data)/'] },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
