/**
 * The e2e VM, seen from the host: prerequisites, image build, boot, commands,
 * power-off. Used by real-jool.e2e.test.ts; the scenario itself is in
 * vm/scenario.sh and the channel in vm/agent.c + vm-client.mjs.
 *
 * QEMU: `-accel tcg -cpu max -nographic` (no KVM on CI machines), 512 MiB, one
 * vCPU, the Debian kernel + our initramfs, no disk. Its only NIC is
 *   -nic user,model=e1000,restrict=on,net=203.0.113.0/24,ipv6=off,
 *        hostfwd=tcp:127.0.0.1:PORT-203.0.113.15:7777
 * i.e. QEMU's user-mode network, isolated (restrict=on: no packet from the
 * guest leaves QEMU) with one forwarded port on the host's loopback: the
 * command channel. Why a NIC rather than virtio-serial: one TCP connection
 * per command gives independent concurrent calls, streaming and clean
 * cancellation for free; a serial line would need our own multiplexing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain ESM JavaScript (it is also the jool-vm executable), no type declarations
import { joolArgv, runInVm as runInVmJs } from './vm-client.mjs';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.resolve(E2E_DIR, '..', '..');
export const CACHE_DIR = path.join(E2E_DIR, '.cache');
export const JOOL_VM = path.join(E2E_DIR, 'jool-vm');
export const VM_EXEC = path.join(E2E_DIR, 'vm-exec');
const PORT_FILE = path.join(CACHE_DIR, 'vm.port');
const AGENT_PORT_IN_VM = 7777;

export interface VmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Why the suite cannot run here, or undefined when it can. */
export function missingPrerequisites(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (DKMS/apt-get need root)';
  const need = ['qemu-system-x86_64', 'jool', 'gcc', 'cpio', 'busybox', 'modinfo', 'dpkg-deb', 'apt-get'];
  const missing = need.filter((cmd) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) return `missing ${missing.join(', ')} (run .ci/e2e-setup)`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export { freePort };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds (or reuses) .cache/vmlinuz + .cache/initramfs.cpio.gz. Returns the build log. */
export function buildImage(): string {
  const started = Date.now();
  const out = execFileSync('bash', [path.join(E2E_DIR, 'vm', 'build-image.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  return `${out}(build-image: ${Date.now() - started} ms)\n`;
}

export class Vm {
  readonly consoleFile = path.join(CACHE_DIR, 'console.log');
  port = 0;
  bootMs = 0;
  private qemu?: ChildProcess;
  private exited = false;

  /** Boots the VM and waits until the scenario has run (or failed). */
  async boot({ timeoutMs = 180_000 } = {}): Promise<void> {
    const started = Date.now();
    this.port = await freePort();
    const console = fs.openSync(this.consoleFile, 'w');
    const args = [
      '-accel',
      'tcg',
      '-cpu',
      'max',
      '-nographic',
      '-m',
      '512',
      '-smp',
      '1',
      '-no-reboot',
      '-kernel',
      path.join(CACHE_DIR, 'vmlinuz'),
      '-initrd',
      path.join(CACHE_DIR, 'initramfs.cpio.gz'),
      '-append',
      `console=ttyS0 quiet panic=-1 e2e.port=${AGENT_PORT_IN_VM}`,
      '-nic',
      `user,model=e1000,restrict=on,net=203.0.113.0/24,host=203.0.113.2,ipv6=off,` +
        `hostfwd=tcp:127.0.0.1:${this.port}-203.0.113.15:${AGENT_PORT_IN_VM}`,
      '-monitor',
      'none',
      '-serial',
      'stdio',
    ];
    fs.appendFileSync(this.consoleFile, `# qemu-system-x86_64 ${args.join(' ')}\n`);
    this.qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', console, console] });
    fs.closeSync(console);
    this.exited = false;
    this.qemu.on('exit', () => {
      this.exited = true;
    });
    // Never outlive the test process (vitest killed, a hook timed out...).
    const qemu = this.qemu;
    process.once('exit', () => qemu.kill('SIGKILL'));

    // The agent answers as soon as the network is up; the scenario then
    // writes /run/scenario.status.
    for (;;) {
      if (this.exited) throw new Error(`QEMU exited during boot\n${this.consoleLog()}`);
      if (Date.now() - started > timeoutMs) throw new Error(`VM not ready within ${timeoutMs} ms\n${this.consoleLog()}`);
      try {
        const r = await this.exec(['cat', '/run/scenario.status'], { timeoutMs: 10_000 });
        const status = r.stdout.trim();
        if (status === 'ok') break;
        if (status === 'failed') throw new Error(`the VM scenario failed\n${this.consoleLog()}`);
      } catch (e) {
        if (String(e).includes('scenario failed')) throw e;
        // not up yet
      }
      await sleep(300);
    }
    this.bootMs = Date.now() - started;
    fs.writeFileSync(PORT_FILE, `${this.port}\n`);
  }

  /** Any command in the VM (argv, no shell). */
  exec(argv: string[], options: { timeoutMs?: number } = {}): Promise<VmResult> {
    return runInVmJs(argv, { port: this.port, timeoutMs: options.timeoutMs ?? 60_000 });
  }

  /** `jool ARGS...` in the VM, in network namespace `netns` when given. */
  jool(args: string[], netns?: string): Promise<VmResult> {
    return this.exec(joolArgv(args, netns));
  }

  consoleLog(): string {
    try {
      return `----- VM console (${this.consoleFile}) -----\n${fs.readFileSync(this.consoleFile, 'utf8')}\n----- end of VM console -----`;
    } catch {
      return '(no VM console log)';
    }
  }

  /** Environment for processes that use jool-vm / vm-exec. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, JOOL_VM_PORT: String(this.port), ...extra };
  }

  async poweroff(): Promise<void> {
    fs.rmSync(PORT_FILE, { force: true });
    const qemu = this.qemu;
    if (!qemu || this.exited) return;
    const gone = new Promise<void>((r) => qemu.once('exit', () => r()));
    // The connection dies with the VM: do not wait for an answer.
    this.exec(['poweroff', '-f'], { timeoutMs: 5_000 }).catch(() => undefined);
    const timer = setTimeout(() => qemu.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
