#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
/**
 * Bundles the exporter and its production dependencies into ONE CommonJS file,
 * dist/bundle/jool-session-exporter.cjs. The Debian package (a Node.js single executable
 * application, whose main script must be CommonJS in Node 20) and the Docker image both run this
 * file, so they cannot drift apart.
 *
 * Usage: node packaging/bundle.mjs   (npm run bundle)
 */
import { build } from 'esbuild';
import { tableWorkerSource } from './table-worker-source.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outfile = join(root, 'dist/bundle/jool-session-exporter.cjs');
mkdirSync(dirname(outfile), { recursive: true });

// A CommonJS file has no import.meta: this shim gives import.meta.url its ESM meaning (the
// file's own URL). The version is injected below, so src/exporter.ts does not walk up for a
// package.json that the bundle does not have; the shim only keeps any other use correct.
const shim = join(root, 'dist/bundle/import-meta-url.js');
writeFileSync(shim, "export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;\n");

// `debug` (under express) tries `require('supports-color')`, an optional package we do not install.
// Left as a require() call, a single executable application warns on every start that its require()
// loads built-in modules only; resolved to an empty module, debug simply keeps its basic colours.
const noOptionalColors = {
  name: 'no-optional-supports-color',
  setup(b) {
    b.onResolve({ filter: /^supports-color$/ }, () => ({ path: 'supports-color', namespace: 'absent-optional' }));
    b.onLoad({ filter: /.*/, namespace: 'absent-optional' }, () => ({ contents: 'module.exports = null;', loader: 'js' }));
  },
};

// The bcrypt worker (src/web/bcrypt-worker.ts) runs bcryptjs's UMD build from source text: a
// single executable application has no node_modules to read it from at run time.
const bcryptjsUmdPath = 'node_modules/bcryptjs/umd/index.js';
const bcryptjsUmd = readFileSync(join(root, bcryptjsUmdPath), 'utf8');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Production dependencies only are reachable from src/main.ts; nothing is left external.
  define: {
    JOOL_SESSION_EXPORTER_VERSION: JSON.stringify(pkg.version),
    'import.meta.url': 'importMetaUrl',
    // Headed by its path, as esbuild heads each module it bundles (test/packaging.test.ts looks for it).
    __BCRYPTJS_UMD_SOURCE__: JSON.stringify(`// ${bcryptjsUmdPath}\n${bcryptjsUmd}`),
    // The table worker thread (src/poll/table-worker.ts) runs from source text too: one file to ship.
    __TABLE_WORKER_SOURCE__: JSON.stringify(tableWorkerSource(root)),
  },
  inject: [shim],
  plugins: [noOptionalColors],
  // Readable stack traces in logs and bug reports matter more than the few kilobytes minifying saves.
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
if (result.warnings.length > 0) {
  console.error(`bundle: ${result.warnings.length} warning(s), refusing to ship`);
  process.exit(1);
}
// Which packages the bundle holds, for the copyright file (packaging/copyright.mjs); bcryptjs
// arrives as a define, not an import, so it is listed by hand.
result.metafile.inputs[bcryptjsUmdPath] ??= { bytes: Buffer.byteLength(bcryptjsUmd), imports: [] };
writeFileSync(join(root, 'dist/bundle/meta.json'), JSON.stringify(result.metafile));
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundle: ${outfile} (${(bytes / 1024).toFixed(0)} KiB, version ${pkg.version})`);
