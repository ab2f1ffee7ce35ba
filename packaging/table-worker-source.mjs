/**
 * The table worker's program (src/poll/table-worker-program.ts and what it imports) as one
 * CommonJS script, for `new Worker(source, { eval: true })`: where there is no compiled
 * table-worker-program.js beside src/poll/table-worker.ts to start. The single bundle
 * (packaging/bundle.mjs) defines it as __TABLE_WORKER_SOURCE__, and so do vitest's configs, which
 * run the TypeScript sources: the tests then run the worker built from the same sources.
 */
import { buildSync } from 'esbuild';

/** `root`: the repository's root directory. */
export function tableWorkerSource(root) {
  const result = buildSync({
    absWorkingDir: root,
    entryPoints: ['src/poll/table-worker-program.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  if (result.warnings.length > 0) throw new Error(`table worker bundle: ${result.warnings.length} warning(s)`);
  return result.outputFiles[0].text;
}

/** vitest's `define` for the sources: the worker's program, bundled now from the same sources. */
export function tableWorkerDefine() {
  const root = new URL('..', import.meta.url).pathname;
  return { __TABLE_WORKER_SOURCE__: JSON.stringify(tableWorkerSource(root)) };
}
