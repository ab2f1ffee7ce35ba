/**
 * The Debian package that `npm run package` built (jool-session-exporter_<version>_<arch>.deb in
 * the repository root): its control data and contents, lintian, its executable run from
 * `dpkg-deb -x` with NO node on PATH, its maintainer scripts (sh -n, shellcheck), and, as root in
 * CI (or with JOOL_DEB_INSTALL=1), a real dpkg -i, reinstall, -r and -P with what each leaves behind.
 *
 * Without the .deb the suite is skipped, except with CI set: then it fails.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, waitFor } from '../support/exporter.js';
import { fakeJool } from '../support/fake-jool.js';
import { running, stat } from '../support/proc-tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const ARCH = spawnSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).stdout.trim();
const DEB = join(ROOT, `jool-session-exporter_${PKG.version}_${ARCH}.deb`);
const NAME = 'jool-session-exporter';
const HAVE_DEB = existsSync(DEB);
if (!HAVE_DEB && process.env.CI !== undefined) throw new Error(`${DEB} is missing: run npm run package first`);
if (!HAVE_DEB) console.warn(`SKIPPED: ${DEB} is missing (npm run package builds it)`);

const run = (command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(command, args, { encoding: 'utf8', ...options });

describe.runIf(HAVE_DEB)('the Debian package', () => {
  let dir: string;
  let tree: string;
  let control: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jool-session-exporter-deb-'));
    tree = join(dir, 'tree');
    control = join(dir, 'control');
    expect(run('dpkg-deb', ['-x', DEB, tree]).status).toBe(0);
    expect(run('dpkg-deb', ['-e', DEB, control]).status).toBe(0);
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const field = (name: string) => run('dpkg-deb', ['-f', DEB, name]).stdout.trim();

  it('is named and versioned after package.json, carries its runtime (no nodejs) and wants jool-tools', () => {
    expect(field('Package')).toBe(NAME);
    expect(field('Version')).toBe(PKG.version);
    expect(field('Architecture')).toBe(ARCH);
    const depends = field('Depends');
    expect(depends).not.toMatch(/\bnodejs\b/);
    expect(depends).toMatch(/\blibc6\b/); // from dpkg-shlibdeps on the executable
    expect(depends).toMatch(/\badduser\b/); // postinst creates the user with it
    expect(`${depends}, ${field('Recommends')}`).toMatch(/\bjool-tools\b/);
  });

  it('installs the Debian layout, owned by root, with the settings file as a conffile', () => {
    const listing = run('dpkg-deb', ['-c', DEB]).stdout.split('\n').filter(Boolean);
    const entry = (path: string) => listing.find((line) => line.endsWith(` .${path}`) || line.includes(` .${path} -> `));
    for (const line of listing) expect(line, line).toMatch(/^\S+ root\/root /);
    expect(entry(`/usr/bin/${NAME}`)).toMatch(/^-rwxr-xr-x /);
    expect(entry(`/usr/lib/systemd/system/${NAME}.service`)).toMatch(/^-rw-r--r-- /);
    expect(entry(`/etc/default/${NAME}`)).toMatch(/^-rw-r--r-- /);
    expect(entry(`/usr/share/man/man1/${NAME}.1.gz`)).toBeDefined();
    expect(entry(`/usr/share/doc/${NAME}/copyright`)).toBeDefined();
    // Every file of deploy/systemd/ is in the package, unchanged, where its kind belongs.
    const installedAs = (file: string): string | undefined => {
      if (file.endsWith('.service')) return `usr/lib/systemd/system/${file}`;
      if (file.endsWith('.default')) return `etc/default/${file.slice(0, -'.default'.length)}`;
      if (file.endsWith('.sysusers')) return `usr/lib/sysusers.d/${file.slice(0, -'.sysusers'.length)}.conf`;
      if (file.endsWith('.tmpfiles')) return `usr/lib/tmpfiles.d/${file.slice(0, -'.tmpfiles'.length)}.conf`;
      if (file === `${NAME}-prepare-jool`) return `usr/libexec/${NAME}/prepare-jool`;
      return undefined; // documentation (README, *.md)
    };
    const deployed = readdirSync(join(ROOT, 'deploy/systemd')).filter((file) => installedAs(file) !== undefined);
    expect(deployed.length).toBeGreaterThanOrEqual(2);
    for (const file of deployed) {
      expect(readFileSync(join(tree, installedAs(file)!), 'utf8'), file).toBe(readFileSync(join(ROOT, 'deploy/systemd', file), 'utf8'));
    }
    expect(readFileSync(join(control, 'conffiles'), 'utf8').split('\n').filter(Boolean)).toEqual([`/etc/default/${NAME}`]);
  });

  it('passes lintian with no error and no warning (those that remain are overridden with a reason)', () => {
    const lintian = run('lintian', ['--fail-on', 'error,warning', DEB]);
    const tags = lintian.stdout.split('\n').filter((line) => /^[EW]: /.test(line));
    expect(tags).toEqual([]);
    expect(lintian.status).toBe(0);
  }, 600_000);

  it('maintainer scripts pass sh -n and shellcheck', () => {
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const path = join(control, script);
      expect(readFileSync(path, 'utf8')).toMatch(/^#!\/bin\/sh\n/);
      const syntax = run('sh', ['-n', path]);
      expect(syntax.stderr, script).toBe('');
      expect(syntax.status, script).toBe(0);
      const check = run('shellcheck', ['--shell=sh', path]);
      expect(check.stdout, script).toBe('');
      expect(check.status, script).toBe(0);
    }
  });

  it('its unit passes systemd-analyze verify with the unpacked executable', () => {
    const analyze = run('systemd-analyze', ['--version']);
    if (analyze.status !== 0) return; // systemd-analyze is not on every machine
    const unitDir = join(dir, 'unit');
    mkdirSync(unitDir);
    const unit = readFileSync(join(tree, 'usr/lib/systemd/system', `${NAME}.service`), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/${NAME} `);
    // verify checks that the programs exist: point them at the unpacked ones.
    const prepare = `/usr/libexec/${NAME}/prepare-jool`;
    expect(unit).toContain(`ExecStartPre=+${prepare}`);
    writeFileSync(
      join(unitDir, `${NAME}.service`),
      unit
        .replace(`ExecStart=/usr/bin/${NAME} `, `ExecStart=${join(tree, 'usr/bin', NAME)} `)
        .replace(`ExecStartPre=+${prepare}`, `ExecStartPre=+${join(tree, prepare)}`),
    );
    const verify = run('systemd-analyze', ['verify', join(unitDir, `${NAME}.service`)]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });

  describe('its executable, unpacked, with no node on PATH', () => {
    let child: ChildProcess | undefined;
    let log = '';
    let env: NodeJS.ProcessEnv;

    beforeAll(() => {
      // Only an empty directory on PATH (on merged-/usr Debian, /bin is /usr/bin, node's home).
      const emptyBin = join(dir, 'empty-bin');
      mkdirSync(emptyBin);
      env = { PATH: emptyBin, HOME: dir };
      expect(run('sh', ['-c', 'command -v node'], { env: { PATH: emptyBin } }).status).not.toBe(0);
    });
    afterAll(async () => {
      if (child !== undefined && child.exitCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    });

    /** Starts the unpacked executable with `flags` (its stderr in `log`), once it listens: it and its HTTP port. */
    async function startExecutable(flags: string[]): Promise<{ exporter: ChildProcess; port: string }> {
      log = '';
      const exporter = spawn(join(tree, 'usr/bin', NAME), flags, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child = exporter;
      exporter.stderr!.on('data', (chunk) => (log += chunk));
      const port = await waitFor(
        () => /address=127\.0\.0\.1:(\d+)/.exec(log)?.[1] ?? (exporter.exitCode !== null ? 'exited' : undefined),
        60_000,
      );
      expect(port, log).not.toBe('exited');
      return { exporter, port };
    }

    it('says its version and the Node.js it carries', () => {
      const version = run(join(tree, 'usr/bin', NAME), ['--version'], { env });
      expect(version.stderr).toBe('');
      expect(version.stdout).toMatch(new RegExp(`^${NAME} ${PKG.version.replace(/\./g, '\\.')} \\(Node\\.js v20\\.\\d+\\.\\d+\\)\\n$`));
    });

    it("reads NODE_OPTIONS, as the unit's memory setting (--max-semi-space-size) needs", () => {
      const exe = join(tree, 'usr/bin', NAME);
      const shipped = run(exe, ['--version'], { env: { ...env, NODE_OPTIONS: '--max-semi-space-size=2' } });
      expect(shipped.stderr).toBe('');
      expect(shipped.status).toBe(0);
      // A bad option fails the start: the executable does parse NODE_OPTIONS (not silently ignore it).
      const bad = run(exe, ['--version'], { env: { ...env, NODE_OPTIONS: '--no-such-option-here' } });
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/--no-such-option-here/);
    });

    it('serves /metrics and /sessions.csv from the demo source, and stops cleanly', async () => {
      const { exporter, port } = await startExecutable(['--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=10s']);
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000);
      const metrics = parseMetrics(await (await fetch(`${url}/metrics`)).text());
      expect(metrics.get('jool_up{jool_instance="default"}')).toBe(1);
      expect(metrics.get('jool_sessions{jool_instance="default",protocol="tcp"}')).toBeGreaterThan(0);
      expect(
        [...metrics.keys()].some((key) => key.startsWith(`jool_session_exporter_build_info{version="${PKG.version}",nodejs_version="v20.`)),
      ).toBe(true);
      const csv = await fetch(`${url}/sessions.csv?protocol=tcp`);
      expect(csv.status).toBe(200);
      const lines = (await csv.text()).split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(1);
      expect(lines.length - 1).toBe(metrics.get('jool_sessions{jool_instance="default",protocol="tcp"}'));
      // No warning (the SEA's "require() loads built-in modules only" would be one), no error.
      expect(log).not.toMatch(/level=(error|warn)|Warning:/);
      exporter.kill('SIGTERM');
      const [code] = (await once(exporter, 'exit')) as [number | null];
      expect(code).toBe(0);
    }, 120_000);

    it('polls jool through its spawner: the executable started again as the spawner, jool its child', async () => {
      // The jool stand-in needs a shell's tools (cat, sed...); the executable itself still has no
      // node on PATH: only the stand-in's wrapper sets PATH, for itself.
      const modeFile = join(dir, 'jool-mode');
      writeFileSync(modeFile, '');
      const jool = fakeJool({ PATH: '/usr/bin:/bin', FAKE_JOOL_MODE_FILE: modeFile });
      const { exporter, port } = await startExecutable([
        `--jool.path=${jool.path}`,
        '--web.listen-address=127.0.0.1:0',
        '--poll.interval=1s',
      ]);
      const metrics = await waitFor(async () => {
        const series = parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
        return (series.get('jool_sessions{jool_instance="default",protocol="tcp"}') ?? 0) > 0 ? series : undefined;
      }, 60_000);
      expect(metrics.get('jool_up{jool_instance="default"}')).toBe(1);
      expect(log).not.toMatch(/level=(error|warn)|Warning:/);
      // Now a call that hangs, to catch it running: its parent is the spawner, which is this same
      // executable (no node here), a child of the exporter.
      writeFileSync(modeFile, 'hang');
      const shell = await waitFor(() => jool.processes().find((pid) => stat(stat(pid)?.ppid ?? 0)?.ppid === exporter.pid), 60_000);
      const spawner = stat(shell)!.ppid;
      expect(spawner).not.toBe(exporter.pid);
      expect(stat(spawner)?.ppid).toBe(exporter.pid);
      expect(readlinkSync(`/proc/${spawner}/exe`)).toBe(join(tree, 'usr/bin', NAME));
      expect(readFileSync(`/proc/${spawner}/cmdline`, 'latin1')).toMatch(/^jool-session-exporter: spawner/);
      exporter.kill('SIGTERM');
      const [code] = (await once(exporter, 'exit')) as [number | null];
      expect(code).toBe(0);
      await waitFor(() => !running(spawner) && jool.processes().length === 0, 30_000);
    }, 120_000);

    it('checks basic_auth_users passwords (bcrypt on its worker thread, from the bundled bcryptjs)', async () => {
      const webConfig = join(dir, 'web.yml');
      writeFileSync(webConfig, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('scrape-secret', 10)}'\n`);
      const { exporter, port } = await startExecutable([
        '--source=demo',
        '--web.listen-address=127.0.0.1:0',
        '--poll.interval=10s',
        `--web.config.file=${webConfig}`,
      ]);
      const url = `http://127.0.0.1:${port}/metrics`;
      const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`prometheus:${password}`).toString('base64')}` });
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: basic('wrong') })).status).toBe(401);
      await waitFor(async () => (await fetch(url, { headers: basic('scrape-secret') })).status === 200, 60_000);
      expect(log).not.toMatch(/level=(error|warn)|Warning:/);
      exporter.kill('SIGTERM');
      const [code] = (await once(exporter, 'exit')) as [number | null];
      expect(code).toBe(0);
    }, 120_000);
  });
});

// ---------------------------------------------------------------------------------------------
// dpkg -i / -r / -P on this machine: it changes the system (a user, /etc files), so only as root
// in CI or when asked, and never over an installation that was there before.

const INSTALL = HAVE_DEB && process.getuid?.() === 0 && (process.env.CI !== undefined || process.env.JOOL_DEB_INSTALL === '1');
// biome-ignore lint/suspicious/noTemplateCurlyInString: ${Status} is dpkg-query's format, not JavaScript's
const preinstalled = INSTALL && run('dpkg-query', ['-W', '-f=${Status}', NAME]).stdout.includes('installed');

/** dpkg, waiting for its lock when another apt or dpkg holds it. */
function dpkg(...args: string[]) {
  for (let attempt = 0; ; attempt++) {
    const result = run('dpkg', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status === 0 || !/lock/i.test(result.stderr) || attempt >= 60) return result;
    spawnSync('sleep', ['2']);
  }
}

const exists = (path: string) => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};
const getent = (db: string, key: string) => run('getent', [db, key]).status === 0;
const WANTS = `/etc/systemd/system/multi-user.target.wants/${NAME}.service`;
const MASK = `/etc/systemd/system/${NAME}.service`;
const CONFFILE = `/etc/default/${NAME}`;

describe.runIf(INSTALL && !preinstalled)('installing it with dpkg (root, CI)', () => {
  afterAll(() => {
    dpkg('-P', NAME);
  });

  it('dpkg -i: the executable, the user, the unit enabled but not started', () => {
    const install = dpkg('-i', DEB);
    expect(install.status, install.stderr).toBe(0);
    expect(run(`/usr/bin/${NAME}`, ['--version'], { env: { PATH: '/nonexistent' } }).stdout).toContain(`${NAME} ${PKG.version}`);
    expect(getent('passwd', 'jool-exporter')).toBe(true);
    expect(getent('group', 'jool-exporter')).toBe(true);
    expect(run('id', ['-gn', 'jool-exporter']).stdout.trim()).toBe('jool-exporter');
    expect(exists(WANTS)).toBe(true);
    expect(exists(MASK)).toBe(false);
    expect(exists(CONFFILE)).toBe(true);
    // Not started: no exporter process was left running by the installation.
    expect(run('pgrep', ['-x', NAME]).status).not.toBe(0);
  });

  it("a reinstallation (as an upgrade) keeps the operator's edits of the conffile", () => {
    const edited = readFileSync(CONFFILE, 'utf8').replace(
      /^JOOL_SESSION_EXPORTER_JOOL_INSTANCE=.*$/m,
      'JOOL_SESSION_EXPORTER_JOOL_INSTANCE=edited-by-operator',
    );
    writeFileSync(CONFFILE, edited);
    const again = dpkg('-i', DEB);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(CONFFILE, 'utf8')).toBe(edited);
  });

  it('dpkg -r: the files go, the conffile and the user stay, the unit is masked', () => {
    const remove = dpkg('-r', NAME);
    expect(remove.status, remove.stderr).toBe(0);
    expect(exists(`/usr/bin/${NAME}`)).toBe(false);
    expect(exists(`/usr/lib/systemd/system/${NAME}.service`)).toBe(false);
    expect(exists(CONFFILE)).toBe(true);
    expect(getent('passwd', 'jool-exporter')).toBe(true);
    expect(exists(MASK)).toBe(true);
  });

  it('dpkg -P: nothing is left behind', () => {
    const purge = dpkg('-P', NAME);
    expect(purge.status, purge.stderr).toBe(0);
    for (const path of [
      CONFFILE,
      WANTS,
      MASK,
      '/var/lib/jool-session-exporter',
      `/var/lib/systemd/deb-systemd-helper-enabled/${NAME}.service.dsh-also`,
      `/var/lib/systemd/deb-systemd-helper-masked/${NAME}.service`,
    ]) {
      expect(exists(path), path).toBe(false);
    }
    expect(getent('passwd', 'jool-exporter')).toBe(false);
    expect(getent('group', 'jool-exporter')).toBe(false);
    expect(run('dpkg-query', ['-W', NAME]).status).not.toBe(0);
  });
});
