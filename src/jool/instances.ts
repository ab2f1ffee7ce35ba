/**
 * Which Jool instance, and where: an instance lives in a network namespace,
 * and jool only reaches the instances of the namespace it runs in. An
 * instance outside the exporter's own namespace is written `NAME@NETNS` (a
 * named namespace, as `ip netns` lists them) and polled through
 * `ip netns exec NETNS jool ...`. That spec is also its `jool_instance` label,
 * so two instances called `default` in two namespaces stay apart.
 */
import { instanceNameProblem } from './commands.js';

export interface InstanceSpec {
  /** Label value and identity: `NAME`, or `NAME@NETNS`. */
  readonly key: string;
  /** The name jool knows the instance by. */
  readonly name: string;
  /** Named network namespace to run jool in; undefined: the exporter's own. */
  readonly netns: string | undefined;
}

/** `ip netns` names are file names under /run/netns. */
export function netnsNameProblem(netns: string): string | null {
  if (netns === '' || netns === '.' || netns === '..' || netns.includes('/') || netns.includes('\0')) {
    return `${JSON.stringify(netns)} is not a network namespace name (a file name under /run/netns)`;
  }
  return null;
}

export function instanceSpec(name: string, netns?: string): InstanceSpec {
  return { key: netns === undefined ? name : `${name}@${netns}`, name, netns };
}

/**
 * Parses `NAME` or `NAME@NETNS`, split at the last `@` (Jool allows `@` in
 * names, namespaces have none in practice); throws an Error with the reason.
 */
export function parseInstanceSpec(text: string): InstanceSpec {
  const at = text.lastIndexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const netns = at < 0 ? undefined : text.slice(at + 1);
  const problem = instanceNameProblem(name) ?? (netns === undefined ? null : netnsNameProblem(netns));
  if (problem !== null) throw new Error(problem);
  return instanceSpec(name, netns);
}

/** The command that runs jool for an instance: jool itself, or jool inside its namespace. */
export function joolCommand(joolPath: string, netns: string | undefined, ipPath = 'ip'): string[] {
  return netns === undefined ? [joolPath] : [ipPath, 'netns', 'exec', netns, joolPath];
}
