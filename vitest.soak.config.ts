import { defineConfig } from 'vitest/config';
import { tableWorkerDefine } from './packaging/table-worker-source.mjs';

// `npm run soak`: the fault soak (test/soak), not part of `npm test`. SOAK_POLLS sets its length.
export default defineConfig({
  // The sources run as TypeScript: the table worker thread runs from their bundle (packaging/table-worker-source.mjs).
  define: tableWorkerDefine(),
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
  },
});
