#!/usr/bin/env node
/**
 * Writes the package's copyright file: this program's licence, then the licence of every npm
 * package that the bundle holds (from esbuild's metafile, dist/bundle/meta.json), then Node.js's
 * own LICENSE (the executable is a copy of node, with its bundled libraries' licences).
 *
 * Usage: node packaging/copyright.mjs PATH-TO-NODE > copyright
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.argv[2] ?? process.execPath;
const out = [];

out.push(
  'jool-session-exporter',
  '',
  'Copyright: jool-session-exporter developers',
  'License: MIT',
  '',
  ...readFileSync(join(root, 'packaging/debian/mit-license'), 'utf8').trimEnd().split('\n'),
  '',
  '/usr/bin/jool-session-exporter is a Node.js single executable application: a copy of the',
  'Node.js runtime with this program and the npm packages below bundled into it.',
);

// node_modules/NAME/... or node_modules/@SCOPE/NAME/..., the innermost one (nested copies count).
const meta = JSON.parse(readFileSync(join(root, 'dist/bundle/meta.json'), 'utf8'));
const packages = new Set();
for (const input of Object.keys(meta.inputs)) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match !== null) packages.add(match[1]);
}
for (const dir of [...packages].sort()) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(join(root, dir)).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  out.push('', '-'.repeat(79), `npm package ${pkg.name} ${pkg.version}`, `License: ${pkg.license ?? 'see below'}`, '');
  // Debian policy 12.5: a licence in /usr/share/common-licenses is referred to, not copied.
  if (pkg.license === 'Apache-2.0') {
    out.push('On Debian systems, the full text of the Apache License, Version 2.0 is in', '/usr/share/common-licenses/Apache-2.0.');
    continue;
  }
  if (licenseFile === undefined) throw new Error(`${dir}: no licence file to copy`);
  out.push(
    ...readFileSync(join(root, dir, licenseFile), 'utf8')
      .trimEnd()
      .split('\n'),
  );
}

// Node's LICENSE: beside a tarball's bin/ (share/doc/node/), or a Debian-style nodejs package's doc.
const prefix = dirname(dirname(node));
const nodeLicense = [
  join(prefix, 'share/doc/node/LICENSE'),
  join(prefix, 'share/doc/nodejs/LICENSE'),
  join(prefix, 'LICENSE'),
  '/usr/share/doc/nodejs/LICENSE',
].find((p) => existsSync(p));
if (nodeLicense === undefined) throw new Error(`no LICENSE of Node.js found near ${node}`);
out.push('', '-'.repeat(79), `Node.js ${process.version} (the runtime in /usr/bin/jool-session-exporter)`, '');
// Node's LICENSE quotes GPL notices of some of its build scripts (ICU's aclocal.m4, config.guess).
out.push(
  "Node.js's LICENSE, as upstream ships it, follows. Some build scripts of its bundled ICU are under",
  'the GNU General Public License with the Autoconf exception; on Debian systems the full texts of',
  'the GPL versions 2 and 3 are in /usr/share/common-licenses/GPL-2 and',
  '/usr/share/common-licenses/GPL-3.',
  '',
);
// Its full copies of the Apache License 2.0 become the reference to Debian's copy (policy 12.5).
const apache = /^([ \t]*)Apache License\s+Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS[ \t]*$/gm;
const nodeText = readFileSync(nodeLicense, 'utf8').replace(
  apache,
  (_, indent) => `${indent}[The Apache License, Version 2.0: on Debian systems, /usr/share/common-licenses/Apache-2.0.]`,
);
out.push(...nodeText.trimEnd().split('\n'));
process.stdout.write(
  `${out
    .map((line) => line.trimEnd())
    .map((line) => (line === '' ? '' : ` ${line}`))
    .join('\n')
    .replace(/^ /, '')}\n`,
);
