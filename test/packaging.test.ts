/**
 * Packaging: the Dockerfile, .dockerignore and the systemd unit.
 *
 * There is no Docker engine where the tests run, so the Dockerfile is read rather than built: its
 * essentials are checked instruction by instruction, and its runtime stage is then *simulated*
 * without Docker. A temporary directory receives exactly what the final stage copies (the
 * production-only `npm ci` of the deps stage, dist/src of the build stage), and the ENTRYPOINT is
 * run there with the demo source: the production install is complete (no dev dependency is
 * needed at run time) and the version lookup (package.json walk-up) works in that layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMetrics, waitFor } from './support/exporter.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

// ---------------------------------------------------------------------------------------------
// A small Dockerfile reader: instructions (continuations joined, comments dropped) per stage.

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}
interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i]!)) line += lines[i]!;
    }
    const match = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (match === null) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.replace(/\s+/g, ' ').trim(), line: start + 1 });
  }
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(' ');
      stages.push({ image: image!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (instruction.keyword !== 'ARG' || stages.length > 0) {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

interface Copy {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

/** COPY [--from=STAGE] SRC... DEST (shell form; the Dockerfile uses no JSON-form COPY). */
function parseCopy(args: string): Copy {
  const words = args.split(' ');
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop();
  if (dest === undefined || words.length === 0) throw new Error(`COPY ${args}: no source or destination`);
  return { from, sources: words, dest };
}

const ofKind = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const runs = (stage: Stage) => ofKind(stage, 'RUN').map((i) => i.args);
/** The WORKDIR in force at the end of a stage (absolute, as every WORKDIR here is). */
const workdir = (stage: Stage) => ofKind(stage, 'WORKDIR').at(-1)?.args ?? '/';
/** The npm commands of a RUN line (split on && and ;). */
const npmCommands = (stage: Stage) =>
  runs(stage)
    .flatMap((run) => run.split(/&&|;/))
    .map((command) => command.trim())
    .filter((command) => command.startsWith('npm '));

// ---------------------------------------------------------------------------------------------
// .dockerignore, with Docker's semantics: the last matching pattern wins, and a pattern that
// matches a parent directory matches everything under it.

function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*' && pattern[i + 1] === '*') {
          source += '.*';
          i++;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negate, regex } of patterns) {
      if (candidates.some((candidate) => regex.test(candidate))) excluded = !negate;
    }
    return excluded;
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

// ---------------------------------------------------------------------------------------------

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const stageNamed = (name: string) => {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`COPY --from=${name}: no stage of that name`);
  return stage;
};
const runtimeCopies = ofKind(runtime, 'COPY').map((i) => parseCopy(i.args));
/** The stage the final stage takes node_modules from. */
const depsCopy = runtimeCopies.find((c) => c.from !== undefined && c.sources.some((s) => s.endsWith('/node_modules')));
const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));

/** dist/ exists when `npm test` or `npm ci` ran; build it for a lone `vitest run` of this file. */
function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/src/main.js'))) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}

describe('Dockerfile', () => {
  it('is multi-stage, every stage on the Debian bookworm Node.js 20 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:20(\.\d+){0,2}-bookworm(-slim)?(@sha256:[0-9a-f]{64})?$/);
  });

  it('builds with the dev dependencies: npm ci, then the TypeScript build', () => {
    const build = stages.find((stage) => npmCommands(stage).some((c) => c === 'npm run build' || (/^npm ci\b/.test(c) && !/--ignore-scripts/.test(c))));
    expect(build, 'a stage runs `npm run build` (or `npm ci` with its prepare script)').toBeDefined();
    const installs = npmCommands(build!).filter((c) => /^npm ci\b/.test(c));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).not.toMatch(/--omit[= ]dev|--production/);
    expect(build).not.toBe(runtime);
    expect(ofKind(build!, 'COPY').flatMap((i) => parseCopy(i.args).sources)).toEqual(expect.arrayContaining(['package-lock.json', 'tsconfig.json', 'src']));
  });

  it('runs with production dependencies only, installed without scripts (prepare needs TypeScript)', () => {
    expect(depsCopy, 'the final stage copies node_modules from another stage').toBeDefined();
    const deps = stageNamed(depsCopy!.from!);
    const commands = npmCommands(deps);
    const prune = commands.some((c) => /^npm prune\b.*--omit[= ]dev/.test(c));
    const ci = commands.find((c) => /^npm ci\b/.test(c) && /--omit[= ]dev/.test(c));
    expect(prune || ci !== undefined, 'npm ci --omit=dev or npm prune --omit=dev').toBe(true);
    if (ci !== undefined) expect(ci).toMatch(/--ignore-scripts/);
    // The runtime stage itself installs no npm packages: it has no npm step at all.
    expect(npmCommands(runtime)).toEqual([]);
    expect(runtimeCopies.some((c) => c.from === undefined && c.sources.some((s) => s === 'src' || s.startsWith('src/')))).toBe(false);
  });

  it('installs jool-tools from Debian, without recommends (jool-dkms), and cleans the apt lists', () => {
    const apt = runs(runtime).find((run) => /apt-get install/.test(run) && /\bjool-tools\b/.test(run));
    expect(apt, 'a RUN of the runtime stage installs jool-tools').toBeDefined();
    expect(apt).toMatch(/apt-get update/);
    expect(apt).toMatch(/apt-get install -y --no-install-recommends /);
    expect(apt).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    // `ip netns exec`, for --jool.instance=NAME@NETNS (not in the slim image).
    expect(apt).toMatch(/\biproute2\b/);
  });

  it('gives the jool client CAP_NET_ADMIN as a file capability, since it runs as a non-root user', () => {
    // Jool's kernel module answers session/pool4/instance/global display only with CAP_NET_ADMIN,
    // and Docker's --cap-add does not reach a non-root user's processes without it.
    expect(runs(runtime).join('\n')).toMatch(/setcap cap_net_admin\+ep \/usr\/bin\/jool\b/);
  });

  it('runs as a non-root user', () => {
    const user = ofKind(runtime, 'USER').at(-1)?.args;
    expect(user, 'the runtime stage sets USER').toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    // After the package installs, which need root.
    const userLine = ofKind(runtime, 'USER').at(-1)!.line;
    for (const run of ofKind(runtime, 'RUN')) expect(run.line).toBeLessThan(userLine);
  });

  it('exposes 9812 and checks /healthz', () => {
    expect(ofKind(runtime, 'EXPOSE').map((i) => i.args)).toContain('9812');
    const health = ofKind(runtime, 'HEALTHCHECK').at(-1)?.args;
    expect(health).toMatch(/\bCMD\b.*http:\/\/127\.0\.0\.1:9812\/healthz/);
  });

  it('starts the built main script from its WORKDIR, in exec form', () => {
    const entrypoint = JSON.parse(ofKind(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint).toEqual(['node', 'dist/src/main.js']);
    expect(workdir(runtime)).toBe('/app');
    expect(runtimeCopies.some((c) => c.sources.some((s) => s.endsWith('/dist/src')) && posix.resolve(workdir(runtime), c.dest) === '/app/dist/src')).toBe(true);
  });

  it('copies only files that exist, are in the build context, and (for dist/) exist after the build', () => {
    ensureBuilt();
    for (const stage of stages) {
      for (const copy of ofKind(stage, 'COPY').map((i) => parseCopy(i.args))) {
        if (copy.from !== undefined) {
          const from = stageNamed(copy.from);
          for (const source of copy.sources) {
            expect(source.startsWith(`${workdir(from)}/`), `${source} is under ${copy.from}'s WORKDIR`).toBe(true);
            // What the build stage makes exists here after `npm run build`; node_modules is the deps stage's own.
            if (!source.endsWith('/node_modules')) expect(existsSync(join(ROOT, source.slice(workdir(from).length + 1))), source).toBe(true);
          }
          continue;
        }
        for (const source of copy.sources) {
          expect(existsSync(join(ROOT, source)), `${source} exists`).toBe(true);
          const files = statSync(join(ROOT, source)).isDirectory() ? filesUnder(join(ROOT, source)) : [source];
          expect(files.length).toBeGreaterThan(0);
          for (const file of files) expect(ignored(file), `${file} is in the build context`).toBe(false);
        }
      }
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local builds, dependencies, git and tests out of the build context', () => {
    for (const path of ['node_modules/express/package.json', 'dist/src/main.js', '.git/HEAD', 'test/packaging.test.ts', 'test/fixtures/jool-4.1.9/x', 'grafana/jool-sessions.json', 'README.md', 'coverage/index.html', 'npm-debug.log']) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/main.ts', 'src/jool/instances.ts']) expect(ignored(path), path).toBe(false);
  });
});

describe('the runtime stage, simulated without Docker', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let log = '';
  let app: string;

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'jool-session-exporter-image-'));
    // Each stage the final one copies from, as a directory: the deps stage is run for real
    // (its context files, its production-only npm ci), the build stage is this checkout after
    // `npm run build` (its /app mirrors the repository).
    const stageDirs = new Map<string, string>();
    for (const copy of runtimeCopies) {
      if (copy.from === undefined || stageDirs.has(copy.from)) continue;
      const stage = stageNamed(copy.from);
      const ci = npmCommands(stage).find((c) => /^npm ci\b/.test(c) && /--omit[= ]dev/.test(c));
      if (ci === undefined) {
        stageDirs.set(copy.from, ROOT);
        continue;
      }
      const stageDir = join(dir, copy.from);
      mkdirSync(stageDir);
      for (const contextCopy of ofKind(stage, 'COPY').map((i) => parseCopy(i.args))) {
        expect(contextCopy.from).toBeUndefined();
        for (const source of contextCopy.sources) cpSync(join(ROOT, source), join(stageDir, posix.resolve(workdir(stage), contextCopy.dest, source).slice(workdir(stage).length + 1)), { recursive: true });
      }
      // The stage's own command, from the local npm cache when it can.
      const args = ci.split(' ').slice(1);
      const install = spawnSync('npm', [...args, '--prefer-offline'], { cwd: stageDir, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
      if (install.status !== 0) throw new Error(`${ci} failed:\n${install.stdout}${install.stderr}`);
      stageDirs.set(copy.from, stageDir);
    }
    // The image's WORKDIR, filled by the final stage's COPYs.
    app = join(dir, 'image', workdir(runtime));
    mkdirSync(app, { recursive: true });
    for (const copy of runtimeCopies) {
      expect(copy.from, 'the final stage copies from other stages only').toBeDefined();
      const from = stageNamed(copy.from!);
      for (const source of copy.sources) {
        const inStage = join(stageDirs.get(copy.from!)!, source.slice(workdir(from).length + 1));
        const dest = posix.resolve(workdir(runtime), copy.dest);
        const target = copy.dest.endsWith('/') || copy.sources.length > 1 ? posix.join(dest, posix.basename(source)) : dest;
        mkdirSync(dirname(join(dir, 'image', target)), { recursive: true });
        cpSync(inStage, join(dir, 'image', target), { recursive: true });
      }
    }
  }, 120_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('holds every production dependency and no dev dependency', () => {
    for (const name of Object.keys(PKG.dependencies)) expect(existsSync(join(app, 'node_modules', name, 'package.json')), name).toBe(true);
    for (const name of Object.keys(PKG.devDependencies)) expect(existsSync(join(app, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(app, 'node_modules/.bin/tsc'))).toBe(false);
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(existsSync(join(app, 'dist/src/main.js'))).toBe(true);
  });

  it('runs the ENTRYPOINT there: /healthz answers, /metrics has jool_up and the package version', async () => {
    const [command, ...entryArgs] = JSON.parse(ofKind(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(command).toBe('node');
    const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir };
    for (const i of ofKind(runtime, 'ENV')) {
      const [key, value] = i.args.split('=');
      env[key!] = value!;
    }
    // --version: the version lookup (package.json, walking up from dist/src) works in this layout.
    const version = spawnSync(process.execPath, [...entryArgs, '--version'], { cwd: app, env, encoding: 'utf8' });
    expect(version.stdout).toBe(`jool-session-exporter ${PKG.version} (Node.js ${process.version})\n`);

    child = spawn(process.execPath, [...entryArgs, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=200ms'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (chunk) => (log += chunk));
    const port = await waitFor(() => /address=127\.0\.0\.1:(\d+)/.exec(log)?.[1] ?? (child!.exitCode !== null ? 'exited' : undefined));
    expect(port, log).not.toBe('exited');
    const url = `http://127.0.0.1:${port}`;
    const healthz = await fetch(`${url}/healthz`);
    expect(healthz.status).toBe(200);
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
    const metrics = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    expect(metrics.get('jool_up{jool_instance="default"}')).toBe(1);
    expect(metrics.get('jool_sessions{jool_instance="default",protocol="tcp"}')).toBeGreaterThan(0);
    expect(metrics.get(`jool_session_exporter_build_info{version="${PKG.version}",nodejs_version="${process.version}"}`)).toBe(1);
    expect(log).not.toMatch(/level=(error|warn)/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 30_000);
});

// ---------------------------------------------------------------------------------------------

const UNIT_PATH = join(ROOT, 'deploy/systemd/jool-session-exporter.service');

/** [Section] → directive → values (a directive may be given several times). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      sections.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 0) throw new Error(`unit: cannot parse ${JSON.stringify(line)}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

describe('systemd unit', () => {
  const unit = parseUnit(readFileSync(UNIT_PATH, 'utf8'));
  const service = unit.get('Service')!;
  const value = (key: string) => service.get(key)?.join(' ');

  it('runs the installed main script as a dedicated unprivileged user, with its settings file', () => {
    expect(value('ExecStart')).toBe('/usr/bin/env node /opt/jool-session-exporter/dist/src/main.js $ARGS');
    expect(value('User')).toBe('jool-exporter');
    expect(value('DynamicUser')).toBe('yes');
    expect(value('EnvironmentFile')).toBe('-/etc/default/jool-session-exporter');
    expect(value('Restart')).toBe('on-failure');
    expect(value('RestartPreventExitStatus')).toBe('2');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('holds CAP_NET_ADMIN, which Jool requires to display sessions, and no other capability', () => {
    expect(value('AmbientCapabilities')).toBe('CAP_NET_ADMIN');
    expect(value('CapabilityBoundingSet')).toBe('CAP_NET_ADMIN');
    expect(service.has('PrivateUsers')).toBe(false); // capable() checks the initial user namespace
  });

  it('is hardened, with netlink allowed (jool talks generic netlink) and no MemoryDenyWriteExecute (V8 JIT)', () => {
    expect(Object.fromEntries([...service].filter(([key]) => /^(Protect|Private|NoNewPrivileges|Restrict|LockPersonality|SystemCall)/.test(key)).map(([k, v]) => [k, v.join(' | ')]))).toEqual({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      PrivateMounts: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      ProtectProc: 'invisible',
      RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK',
      RestrictNamespaces: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      SystemCallArchitectures: 'native',
      SystemCallFilter: '@system-service | ~@privileged @resources',
      SystemCallErrorNumber: 'EPERM',
    });
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('the settings file sets only variables the exporter knows', () => {
    ensureBuilt();
    const help = spawnSync(process.execPath, [join(ROOT, 'dist/src/main.js'), '--help'], { encoding: 'utf8' }).stdout;
    const file = readFileSync(join(ROOT, 'deploy/systemd/jool-session-exporter.default'), 'utf8');
    const names = [...file.matchAll(/^#?(JOOL_SESSION_EXPORTER_\w+)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(3);
    for (const name of names) expect(help, name).toContain(name);
    expect(file).toMatch(/^ARGS=/m);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.runIf(analyze.status === 0)('passes systemd-analyze verify (where systemd-analyze is installed)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jool-session-exporter-unit-'));
    try {
      cpSync(UNIT_PATH, join(dir, 'jool-session-exporter.service'));
      const verify = spawnSync('systemd-analyze', ['verify', join(dir, 'jool-session-exporter.service')], { encoding: 'utf8' });
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
