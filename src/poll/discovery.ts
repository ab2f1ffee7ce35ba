/**
 * `--jool.instance=*`: which instances exist right now, and where.
 *
 * `jool instance display` lists the instances of every network namespace,
 * with the namespace as an opaque kernel id, but `session display` only
 * reaches the instances of the namespace jool runs in. So each namespace id
 * is located by probing one of its instances from the exporter's own
 * namespace, then from each `--jool.netns` namespace; the first that answers
 * is where that namespace's instances are polled. Namespace ids are kernel
 * addresses that can be reused after a namespace is deleted, so the probe is
 * redone on every discovery rather than cached.
 */

import { type CallFailure, readOutput } from '../jool/call.js';
import { type Dialect, INSTANCE_DISPLAY_ARGS, instanceProbeArgs } from '../jool/commands.js';
import { type InstanceSpec, instanceSpec } from '../jool/instances.js';
import type { JoolRunner } from '../jool/runner.js';
import type { JoolVersion } from '../status/model.js';
import { detectJool } from './poll-instance.js';

/** jool's exit status when the namespace it runs in has no instance of that name. */
const JOOL_NO_SUCH_INSTANCE = 3;

export interface DiscoveryContext {
  /** A runner for jool in the exporter's own namespace (undefined) or in a named one. */
  readonly runIn: (netns: string | undefined) => JoolRunner;
  /** Named namespaces to look in, besides the exporter's own. */
  readonly netns: readonly string[];
  readonly dialect: Dialect | 'auto';
  readonly timeoutMs: number;
}

export interface Unreachable {
  readonly name: string;
  /** Jool's id of the namespace the instance lives in. */
  readonly namespace: string;
}

export type DiscoveryResult =
  | {
      readonly ok: true;
      readonly instances: readonly InstanceSpec[];
      readonly unreachable: readonly Unreachable[];
      readonly jool: JoolVersion;
    }
  | CallFailure;

interface ListedInstance {
  readonly namespace: string;
  readonly name: string;
}

/**
 * `Namespace,Name,Framework` rows. Any other line (but the header) makes the
 * whole list unreadable: "no instances" would retire every instance, so it is
 * only believed from an output that is entirely understood.
 */
export function parseInstanceList(text: string): { listed: ListedInstance[]; unreadable: string | undefined } {
  const listed: ListedInstance[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line === 'Namespace,Name,Framework') continue;
    const match = /^([0-9a-f]+),([^,]+),(netfilter|iptables)$/.exec(line);
    if (match === null) return { listed, unreadable: line.slice(0, 200) };
    listed.push({ namespace: match[1]!, name: match[2]! });
  }
  return { listed, unreadable: undefined };
}

/** `known`: the jool version from the last discovery, so `jool --version` is asked only once. */
export async function discoverInstances(context: DiscoveryContext, known?: JoolVersion): Promise<DiscoveryResult> {
  const own = context.runIn(undefined);
  const jool = known ?? (await detectJool(own, context.dialect, context.timeoutMs));
  if ('ok' in jool) return jool;
  // Jool 3 has one unnamed instance and no instance list.
  if (jool.dialect === 3) return { ok: true, instances: [instanceSpec('default')], unreachable: [], jool };

  const read = await readOutput(own, INSTANCE_DISPLAY_ARGS, context.timeoutMs);
  if (!read.ok) return read;
  const { listed, unreadable } = parseInstanceList(read.text);
  if (unreadable !== undefined) {
    return {
      ok: false,
      reason: 'parse',
      message: `jool ${INSTANCE_DISPLAY_ARGS.join(' ')}: not an instance list: ${JSON.stringify(unreadable)}`,
    };
  }
  const byNamespace = new Map<string, string[]>();
  for (const { namespace, name } of listed) byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), name]);

  const instances: InstanceSpec[] = [];
  const unreachable: Unreachable[] = [];
  for (const [namespace, names] of byNamespace) {
    const place = await locate(context, names[0]!);
    if (place !== null && 'ok' in place) return place;
    if (place === null) {
      unreachable.push(...names.map((name) => ({ name, namespace })));
      continue;
    }
    instances.push(...names.map((name) => instanceSpec(name, place.netns)));
  }
  // Jool allows "@" in names, so an own-namespace "a@x" and an "a" in namespace x share the label
  // "a@x": poll the first rather than mixing two instances in one series set.
  const byKey = new Map<string, InstanceSpec>();
  for (const spec of instances) if (!byKey.has(spec.key)) byKey.set(spec.key, spec);
  return { ok: true, instances: [...byKey.values()], unreachable, jool };
}

/**
 * Where an instance answers: the own namespace, or the first `--jool.netns` one; null if nowhere.
 * Only exit status 3 means "no such instance here" (what Jool answers from another namespace);
 * any other failure (module unloaded meanwhile, a hang) fails the discovery instead of
 * declaring instances unreachable, which would stop their polling.
 */
async function locate(context: DiscoveryContext, name: string): Promise<{ netns: string | undefined } | CallFailure | null> {
  for (const netns of [undefined, ...context.netns]) {
    const probe = await readOutput(context.runIn(netns), instanceProbeArgs(name), context.timeoutMs, 1024 * 1024);
    if (probe.ok) return { netns };
    if (probe.exitCode !== JOOL_NO_SUCH_INSTANCE) return probe;
  }
  return null;
}
