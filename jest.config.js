// `npm test`: the unit and integration tests under jest. TypeScript is only transpiled here (@swc/jest); `npx tsc -p .`
// type-checks the tests with the rest.
/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/workflow/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { swcrc: false, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, sourceMaps: 'inline' }],
  },
  // The workflow bundles, built once for the whole run; each file's workers load them (test/helpers/temporal.ts).
  globalSetup: '<rootDir>/test/setup/bundle-workflows.ts',
  // Node's own global for the tests (no vm sandbox), and a file's Temporal runtime shut down when the file is done.
  testEnvironment: '<rootDir>/test/setup/temporal-environment.ts',
  // node:test set no limit on a test or hook; this one only stops a hang (a dev server starting counts against a hook).
  testTimeout: 180_000,
  // Tests import describe, it, expect… from @jest/globals; nothing is added to the global they share with Node.
  injectGlobals: false,
  // Two files at a time: each runs its own dev server, simulator and database, and most of a file's time is spent
  // waiting on them, so two overlap well on two cores. Tests wait on conditions, never on the clock, so a busy
  // machine slows them without failing them.
  maxWorkers: 2,
  // Tests run in a worker process, not in jest's own, and a worker whose heap has grown past this after a file
  // (module registries of earlier files kept alive) is replaced before the next.
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/test/setup/pass-fail-line.js'],
};
