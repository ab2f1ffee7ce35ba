import { defineConfig } from 'vitest/config';
import { tableWorkerDefine } from './packaging/table-worker-source.mjs';

// The unit tests only, for Stryker (stryker.config.mjs): they exercise the mutated modules
// directly and start no processes, so each mutant is judged in seconds. MUTATE_TESTS (comma-
// separated globs) narrows them further for a run on one module, e.g.
//   MUTATE_TESTS=test/unit/pool4.test.ts npm run mutate -- --mutate src/table/pool4.ts
export default defineConfig({
  // The sources run as TypeScript: the table worker thread runs from their bundle (packaging/table-worker-source.mjs).
  define: tableWorkerDefine(),
  test: {
    include: process.env.MUTATE_TESTS?.split(',') ?? ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
