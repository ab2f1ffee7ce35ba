/**
 * deploy/systemd/jool-session-exporter-prepare-jool, the ExecStartPre=+ script that gives the
 * service's jool copy its file capability: shellcheck clean, and, run for real as root, a copy that
 * only root and the exporter's group can execute, which receives CAP_NET_ADMIN from its file
 * capability when an unprivileged member of the group runs it, while that member itself has none.
 *
 * /bin/cat stands in for jool: a real ELF binary (the kernel applies file capabilities to those
 * only) that can show its own capabilities (/proc/self/status).
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../deploy/systemd/jool-session-exporter-prepare-jool', import.meta.url));
const CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const CAP_NET_ADMIN = 1n << 12n;

/** The group that plays jool-exporter: an existing one, so the test creates no account. */
const GROUP = 'daemon';
const gidOf = (group: string) => Number(spawnSync('getent', ['group', group], { encoding: 'utf8' }).stdout.split(':')[2]);

function capEff(status: string): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) throw new Error(`no CapEff in ${status}`);
  return BigInt(`0x${hex}`);
}

describe('prepare-jool', () => {
  it.skipIf(!has('shellcheck') && !CI)('passes shellcheck', () => {
    const result = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  const runnable = process.getuid?.() === 0 && has('setcap') && has('getcap') && has('setpriv') && has('findmnt');
  if (!runnable)
    console.warn('!!! test/prepare-jool.test.ts: not root, or setcap/getcap/setpriv/findmnt missing: the file capability is NOT TESTED');

  describe.skipIf(!runnable && !CI)('run as root', () => {
    let dir: string;
    let target: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'jool-prepare-'));
      chmodSync(dir, 0o755); // as /var/lib is: the copy's own folder is what keeps others out
      target = join(dir, 'lib');
      if (spawnSync('findmnt', ['-no', 'OPTIONS', '--target', dir], { encoding: 'utf8' }).stdout.split(',').includes('nosuid')) {
        throw new Error(`${dir} is on a nosuid mount: set TMPDIR to a folder where file capabilities work`);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const prepare = (args: string[], group = GROUP) =>
      spawnSync(SCRIPT, args, { encoding: 'utf8', env: { ...process.env, JOOL_EXPORTER_GROUP: group } });

    it('makes DIRECTORY/jool: root:GROUP 0750, cap_net_admin=ep, in a root:GROUP 0750 folder', () => {
      const result = prepare(['/bin/cat', target]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const copy = join(target, 'jool');
      expect(spawnSync('getcap', [copy], { encoding: 'utf8' }).stdout).toMatch(/cap_net_admin[=+]ep/);
      for (const [path, kind] of [
        [copy, 'file'],
        [target, 'folder'],
      ] as const) {
        const stat = statSync(path);
        expect(stat.mode & 0o7777, kind).toBe(0o750);
        expect(stat.uid, kind).toBe(0);
        expect(stat.gid, kind).toBe(gidOf(GROUP));
      }
    });

    /**
     * Runs `program /proc/self/status` as uid nobody with gid `gid` and the unit's bounding set.
     * setpriv keeps root's effective capabilities until the next exec, so it execs a shell first,
     * which then runs the program with the user's own rights only.
     */
    const asUser = (gid: number, program: string) =>
      spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          `--regid=${gid}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all,+net_admin',
          'sh',
          '-c',
          'exec "$0" "$@"',
          program,
          '/proc/self/status',
        ],
        { encoding: 'utf8' },
      );

    it('the copy runs with CAP_NET_ADMIN for a member of the group, who has no capability itself', () => {
      const asMember = (program: string) => asUser(gidOf(GROUP), program);
      const own = asMember('/bin/cat');
      expect(own.status, own.stderr).toBe(0);
      expect(capEff(own.stdout)).toBe(0n);
      const copy = asMember(join(target, 'jool'));
      expect(copy.status, copy.stderr).toBe(0);
      expect(capEff(copy.stdout)).toBe(CAP_NET_ADMIN);
    });

    it('nobody else can run the copy', () => {
      const other = asUser(65534, join(target, 'jool'));
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(/Permission denied/);
    });

    it('run again (each start), it replaces the copy and leaves no temporary file', () => {
      expect(prepare(['/bin/cat', target]).status).toBe(0);
      expect(spawnSync('ls', ['-A', target], { encoding: 'utf8' }).stdout.trim()).toBe('jool');
    });

    it('refuses, with a message, a missing jool or group', () => {
      const noJool = prepare([join(dir, 'absent-jool'), target]);
      expect(noJool.status).toBe(1);
      expect(noJool.stderr).toMatch(/absent-jool: no jool client there/);
      const noGroup = prepare(['/bin/cat', target], 'no-such-group-jse');
      expect(noGroup.status).toBe(1);
      expect(noGroup.stderr).toMatch(/group no-such-group-jse does not exist/);
      expect(existsSync(join(target, 'jool'))).toBe(true);
    });
  });
});
