import { defineConfig } from 'vitest/config';

// `npm run soak`: the fault soak (test/soak), not part of `npm test`. SOAK_POLLS sets its length.
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
  },
});
