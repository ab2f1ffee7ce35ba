/**
 * Packaging: the Dockerfile, .dockerignore and the systemd unit. (The Debian package is built and
 * tested by test/deb/, after `npm run package`.)
 *
 * There is no Docker engine where the tests run, so the Dockerfile is read rather than built: its
 * essentials are checked instruction by instruction, and its runtime stage is then *simulated*
 * without Docker. A temporary directory receives exactly what the final stage copies (the esbuild
 * bundle, dist/bundle/jool-session-exporter.cjs, that the Debian package is also made from), and
 * the ENTRYPOINT is run there with the demo source: the bundle needs no node_modules and no
 * package.json (its version is injected when it is bundled).
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceMemoryEnv } from '../bench/service-env.mjs';
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
const BUNDLE = 'dist/bundle/jool-session-exporter.cjs';
const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));

/** dist/ exists when `npm test` or `npm ci` ran; build it for a lone `vitest run` of this file. */
function ensureBuilt(): void {
  if (existsSync(join(ROOT, 'dist/src/main.js')) && existsSync(join(ROOT, BUNDLE))) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}

describe('Dockerfile', () => {
  it('is multi-stage, every stage on the Debian bookworm Node.js 20 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:20(\.\d+){0,2}-bookworm(-slim)?(@sha256:[0-9a-f]{64})?$/);
  });

  it('bundles with the dev dependencies: npm ci, then npm run bundle (esbuild)', () => {
    const build = stages.find((stage) => npmCommands(stage).includes('npm run bundle'));
    expect(build, 'a stage runs `npm run bundle`').toBeDefined();
    const installs = npmCommands(build!).filter((c) => /^npm ci\b/.test(c));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).not.toMatch(/--omit[= ]dev|--production/);
    expect(build).not.toBe(runtime);
    expect(ofKind(build!, 'COPY').flatMap((i) => parseCopy(i.args).sources)).toEqual(
      expect.arrayContaining(['package-lock.json', 'packaging/bundle.mjs', 'src']),
    );
  });

  it('runs the bundle alone: the runtime stage copies only it, and has no npm step and no node_modules', () => {
    expect(runtimeCopies.map((c) => [c.from, c.sources])).toEqual([[expect.any(String), [`/app/${BUNDLE}`]]]);
    expect(stageNamed(runtimeCopies[0]!.from!)).not.toBe(runtime);
    expect(npmCommands(runtime)).toEqual([]);
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

  it('starts the bundle where it is copied, in exec form', () => {
    const entrypoint = JSON.parse(ofKind(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint).toEqual(['node', '/app/jool-session-exporter.cjs']);
    expect(workdir(runtime)).toBe('/app');
    const copy = runtimeCopies[0]!;
    expect(posix.join(posix.resolve(workdir(runtime), copy.dest), posix.basename(copy.sources[0]!))).toBe(entrypoint[1]);
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
            if (!source.endsWith('/node_modules'))
              expect(existsSync(join(ROOT, source.slice(workdir(from).length + 1))), source).toBe(true);
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
    for (const path of [
      'node_modules/express/package.json',
      'dist/src/main.js',
      '.git/HEAD',
      'test/packaging.test.ts',
      'test/fixtures/jool-4.1.9/x',
      'grafana/jool-sessions.json',
      'README.md',
      'coverage/index.html',
      'npm-debug.log',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/main.ts', 'src/jool/instances.ts'])
      expect(ignored(path), path).toBe(false);
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
        for (const source of contextCopy.sources)
          cpSync(
            join(ROOT, source),
            join(stageDir, posix.resolve(workdir(stage), contextCopy.dest, source).slice(workdir(stage).length + 1)),
            { recursive: true },
          );
      }
      // The stage's own command, from the local npm cache when it can.
      const args = ci.split(' ').slice(1);
      const install = spawnSync('npm', [...args, '--prefer-offline'], {
        cwd: stageDir,
        encoding: 'utf8',
        env: { ...process.env, npm_config_loglevel: 'error' },
      });
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

  it('holds the bundle and nothing else: no node_modules, no package.json, no sources', () => {
    expect(readdirSync(app)).toEqual(['jool-session-exporter.cjs']);
    // Every production dependency is inside it.
    const bundle = readFileSync(join(app, 'jool-session-exporter.cjs'), 'utf8');
    for (const name of Object.keys(PKG.dependencies)) expect(bundle, name).toContain(`node_modules/${name}/`);
  });

  it('runs the ENTRYPOINT there: /healthz answers, /metrics has jool_up and the package version', async () => {
    const [command, ...imageArgs] = JSON.parse(ofKind(runtime, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(command).toBe('node');
    // Absolute paths of the image, in the simulated image.
    const entryArgs = imageArgs.map((arg) => (arg.startsWith('/') ? join(dir, 'image', arg) : arg));
    const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir };
    for (const i of ofKind(runtime, 'ENV')) {
      const eq = i.args.indexOf('=');
      env[i.args.slice(0, eq)] = i.args.slice(eq + 1);
    }
    // --version: the version is the one injected into the bundle (there is no package.json here).
    const version = spawnSync(process.execPath, [...entryArgs, '--version'], { cwd: app, env, encoding: 'utf8' });
    expect(version.stdout).toBe(`jool-session-exporter ${PKG.version} (Node.js ${process.version})\n`);

    child = spawn(process.execPath, [...entryArgs, '--source=demo', '--web.listen-address=127.0.0.1:0', '--poll.interval=10s'], {
      cwd: app,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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

  it('runs the installed program as the static unprivileged user jool-exporter, with its settings file', () => {
    expect(value('ExecStart')).toBe('/usr/bin/jool-session-exporter $ARGS');
    expect(value('User')).toBe('jool-exporter');
    expect(value('Group')).toBe('jool-exporter');
    expect(service.has('DynamicUser')).toBe(false); // static: the privileged jool copy belongs to its group
    expect(value('EnvironmentFile')).toBe('-/etc/default/jool-session-exporter');
    expect(value('Restart')).toBe('on-failure');
    expect(value('RestartPreventExitStatus')).toBe('2');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('gives node no capability: only the jool copy made by prepare-jool gets CAP_NET_ADMIN, from its file', () => {
    expect(service.has('AmbientCapabilities')).toBe(false);
    expect(value('CapabilityBoundingSet')).toBe('CAP_NET_ADMIN');
    expect(value('NoNewPrivileges')).toBe('no'); // file capabilities need it off
    expect(value('ExecStartPre')).toBe('+/usr/libexec/jool-session-exporter/prepare-jool');
    expect(service.get('Environment')).toContain('JOOL_SESSION_EXPORTER_JOOL_PATH=/var/lib/jool-session-exporter/jool');
    expect(value('SecureBits')).toBe('noroot noroot-locked');
    expect(service.has('PrivateUsers')).toBe(false); // capable() checks the initial user namespace
  });

  it('is hardened with what does not force NoNewPrivileges=yes on a non-root service', () => {
    // systemd.exec(5), NoNewPrivileges=: each of these makes systemd set no_new_privs, and the
    // kernel then ignores the jool copy's file capability.
    for (const key of [
      'SystemCallFilter',
      'SystemCallArchitectures',
      'SystemCallLog',
      'RestrictAddressFamilies',
      'RestrictNamespaces',
      'RestrictRealtime',
      'RestrictSUIDSGID',
      'LockPersonality',
      'MemoryDenyWriteExecute',
      'PrivateDevices',
      'ProtectClock',
      'ProtectHostname',
      'ProtectKernelLogs',
      'ProtectKernelModules',
      'ProtectKernelTunables',
      'DynamicUser',
    ]) {
      expect(service.has(key), key).toBe(false);
    }
    expect(
      Object.fromEntries(
        [...service].filter(([key]) => /^(Protect|Private|DevicePolicy|RemoveIPC|UMask)/.test(key)).map(([k, v]) => [k, v.join(' | ')]),
      ),
    ).toEqual({
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateMounts: 'yes',
      ProtectControlGroups: 'yes',
      ProtectProc: 'invisible',
      PrivateIPC: 'yes',
      DevicePolicy: 'closed',
      RemoveIPC: 'yes',
      UMask: '0077',
    });
  });

  it('runs with the memory settings of docs/performance.md; the Dockerfile and bench/ use the same', () => {
    const memory = (service.get('Environment') ?? []).filter((line) => /^(MALLOC_|NODE_OPTIONS=)/.test(line));
    // glibc maps allocations of 128 KiB and more on their own; V8's young generation stays small.
    expect(memory).toEqual(['MALLOC_MMAP_THRESHOLD_=131072', 'NODE_OPTIONS=--max-semi-space-size=2']);
    // The image: one ENV instruction per variable, the same values.
    const env = ofKind(runtime, 'ENV').map((i) => i.args);
    for (const line of memory) expect(env, line).toContain(line);
    // The bench runs ingest.mjs with what it reads from the unit.
    expect(Object.entries(serviceMemoryEnv()).map(([key, val]) => `${key}=${val}`)).toEqual(memory);
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
    // verify checks that ExecStart=/ExecStartPre= exist: point them at stand-ins, the rest as shipped.
    const dir = mkdtempSync(join(tmpdir(), 'jool-session-exporter-unit-'));
    try {
      for (const name of ['exporter', 'prepare-jool']) {
        writeFileSync(join(dir, name), '#!/bin/sh\n');
        chmodSync(join(dir, name), 0o755);
      }
      const text = readFileSync(UNIT_PATH, 'utf8')
        .replace('ExecStart=/usr/bin/jool-session-exporter ', `ExecStart=${join(dir, 'exporter')} `)
        .replace('ExecStartPre=+/usr/libexec/jool-session-exporter/prepare-jool', `ExecStartPre=+${join(dir, 'prepare-jool')}`);
      expect(text).not.toContain('/usr/bin/jool-session-exporter $ARGS');
      writeFileSync(join(dir, 'jool-session-exporter.service'), text);
      const verify = spawnSync('systemd-analyze', ['verify', join(dir, 'jool-session-exporter.service')], { encoding: 'utf8' });
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
