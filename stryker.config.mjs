// Mutation testing (`npm run mutate`, not part of `npm test`): StrykerJS 9 with its vitest runner.
// 9.x is the last line that runs on Node 20. Only the unit tests run (test/unit: pure functions,
// no processes or servers), which is where these modules are meant to be tested.
// One module: npm run mutate -- --mutate src/table/pool4.ts
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: ['src/table/pool4.ts', 'src/http/session-query.ts', 'src/parse/expiry.ts', 'src/parse/session-csv.ts', 'src/table/aggregate.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'reports', 'test/e2e', 'bench/.data', 'coverage'],
  thresholds: { high: 90, low: 80, break: null },
};
