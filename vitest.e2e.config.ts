// End-to-end suite: the exporter against a real Jool kernel module in QEMU
// (test/e2e/README.md). Run with `npm run test:e2e` after `.ci/e2e-setup`.
import { defineConfig } from 'vitest/config';
import { tableWorkerDefine } from './packaging/table-worker-source.mjs';

export default defineConfig({
  // The sources run as TypeScript: the table worker thread runs from their bundle (packaging/table-worker-source.mjs).
  define: tableWorkerDefine(),
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    // One VM, one suite, tests in order (the module is unloaded at the end).
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 120_000,
    hookTimeout: 600_000,
    reporters: ['default'],
    env: { JOOL_E2E: '1' },
  },
});
