/**
 * The one place the current status lives. Every status is immutable; a finished poll replaces its
 * instance's status in one assignment, and readers take `store.current` once per answer.
 */
import { type DiscoveryStatus, type ExporterStatus, type InstanceStatus, initialStatus } from './model.js';

export interface StatusStore {
  readonly current: ExporterStatus;
  /** Replaces the status of an instance; ignored for an instance no longer in the store. */
  replace(status: InstanceStatus): void;
  /** Starts tracking an instance (found by discovery); no-op when it is known. */
  add(name: string): void;
  /** Forgets an instance (gone from Jool): its metrics disappear with it. */
  remove(name: string): void;
  /** Records a discovery run; readiness waits for the first one. */
  setDiscovery(discovery: DiscoveryStatus): void;
}

export function createStatusStore(instanceNames: readonly string[], options: { discovery?: boolean } = {}): StatusStore {
  let discovery: DiscoveryStatus | undefined;
  let current: ExporterStatus = { instances: instanceNames.map(initialStatus), discovery, ready: false };
  const publish = (instances: readonly InstanceStatus[]) => {
    const discovered = !options.discovery || (discovery !== undefined && discovery.runs > 0);
    current = { instances, discovery, ready: discovered && instances.every((instance) => instance.polls > 0) };
  };
  return {
    get current() {
      return current;
    },
    replace(status: InstanceStatus): void {
      if (!current.instances.some((old) => old.name === status.name)) return;
      publish(current.instances.map((old) => (old.name === status.name ? status : old)));
    },
    add(name: string): void {
      if (current.instances.some((old) => old.name === name)) return;
      publish([...current.instances, initialStatus(name)]);
    },
    remove(name: string): void {
      publish(current.instances.filter((old) => old.name !== name));
    },
    setDiscovery(next: DiscoveryStatus): void {
      discovery = next;
      publish(current.instances);
    },
  };
}
