import { defineConfig } from 'vitest/config';
import { tableWorkerDefine } from './packaging/table-worker-source.mjs';

export default defineConfig({
  // The sources run as TypeScript: the table worker thread runs from their bundle (packaging/table-worker-source.mjs).
  define: tableWorkerDefine(),
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/deb/**', 'node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
