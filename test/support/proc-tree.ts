/** Who is whose parent, and who holds what, read from /proc: for the tests of the spawner process. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** /proc/PID/stat: state and parent pid (undefined once the process is gone). */
export function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1')
      .replace(/^.*\) /s, '')
      .split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Neither gone nor a zombie that nobody reaped yet. */
export function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z';
}

/** The running children of `parent`. */
export function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => stat(pid)?.ppid === parent && running(pid));
}

/** A process's open descriptors: number → what it points to (`socket:[inode]`, a path...). */
export function descriptors(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      found.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile (readdir's own descriptor)
    }
  }
  return found;
}
