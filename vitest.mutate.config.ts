import { defineConfig } from 'vitest/config';

// The unit tests only, for Stryker (stryker.config.mjs): they exercise the mutated modules
// directly and start no processes, so each mutant is judged in seconds.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
