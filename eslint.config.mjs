// Lint what the type checker does not catch: promises nobody awaits, and workflow code that reaches for
// non-deterministic or side-effecting modules (the rules the Temporal samples use). `npm run lint`, in CI.
import tseslint from 'typescript-eslint';

/** What workflow code must not import: Node built-ins, activity implementations, clients, drivers, HTTP. */
const NOT_IN_WORKFLOWS = [
  { group: ['node:*'], message: 'Workflow code is deterministic and sandboxed: no Node built-ins (do it in an activity).' },
  { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'Workflows call activities through proxyActivities; import only their types.' },
  { group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing'], message: 'Workflow code uses @temporalio/workflow only.' },
  { group: ['../sinks/*', '../client/*', '../simulator/*'], allowTypeImports: true, message: 'Sinks, clients and the simulator do I/O: workflows import only their types.' },
  { group: ['undici', 'pg', 'pg-copy-streams', '@duckdb/*', 'lossless-json'], message: 'No I/O or heavy packages in the workflow bundle.' },
];
const NODE_BUILTINS = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'util', 'events', 'stream', 'timers', 'perf_hooks', 'url', 'zlib', 'worker_threads'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tmp/**', 'data/**', 'test/histories/**', 'bench/results/**', 'docs/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
    },
  },
  {
    // A test spells out the types it asserts on, for the reader.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-type-assertion': 'off' },
  },
  {
    // Sinks hash, chain and fingerprint what they store with integrity's pure functions; integrity never reaches
    // back for a sink (test/unit/module-layers.test.ts holds the same line for every import, types included).
    files: ['src/integrity/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['../sinks', '../sinks/*'], message: 'Integrity is pure and sits below sinks: code that reads a sink lives above both (e.g. src/cli/verify-run.ts).' }] }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { paths: NODE_BUILTINS, patterns: NOT_IN_WORKFLOWS }],
      'no-restricted-globals': ['error', { name: 'process', message: 'Workflow code has no process: pass what it needs in the input.' }, { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }, { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' }],
    },
  },
);
