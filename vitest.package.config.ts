// The Debian package, after `npm run package` (test/deb/): what it holds, lintian, its executable
// run with no node on PATH, its maintainer scripts, and (as root in CI) dpkg -i, -r and -P.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/deb/**/*.test.ts'],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
