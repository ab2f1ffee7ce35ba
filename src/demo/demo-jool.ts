/**
 * The built-in demo source (`--source=demo`): an in-memory Jool 4.1.9 NAT64
 * that answers argv the way the real `jool` client does, behind the same
 * JoolRunner seam as the real binary, so the demo drives the exact production
 * path (argv building, streaming parse, exit-status handling).
 *
 * Output formats, error texts and exit codes follow captures of the real
 * 4.1.9 client (test/fixtures/jool-4.1.9) and its source (src/usr/argp).
 *
 * The modules, by concern: options.ts (what callers set), random.ts (seeded
 * randomness), topology.ts (who talks to whom), table.ts and lifecycle.ts
 * (the session model), traffic.ts and sim.ts (the simulation), sink.ts and
 * render.ts (jool's output), argp.ts, cli.ts and commands.ts (the client's
 * command line), faults.ts (injected failures), process.ts (the process
 * stand-in).
 */
import type { JoolCall, JoolRunner, RunOptions } from '../jool/runner.js';
import { runCommand } from './cli.js';
import type { CommandContext } from './commands.js';
import { type DemoFault, faultBody } from './faults.js';
import { type DemoOptions, resolveOptions } from './options.js';
import { startCall } from './process.js';
import { createSim, type DemoInstanceView, inspectSim, type Sim } from './sim.js';

export { formatExpiry as formatExpires } from '../format/expiry.js';
export type { DemoFault } from './faults.js';
export { formatIPv6 } from './inet-ntop.js';
export type { DemoOptions, DemoTimeouts } from './options.js';
export type { DemoInstanceView } from './sim.js';

export interface DemoControl {
  /** Makes the next `count` calls (default 1) exhibit `fault` instead of their normal behaviour. */
  failNext(fault: DemoFault, count?: number): void;
  /** Advances the instance to the clock and summarises it (for tests and demo logs). */
  inspect(instance?: string): DemoInstanceView;
}

export type DemoJoolRunner = JoolRunner & { readonly control: DemoControl };

export function createDemoJool(options: DemoOptions = {}): DemoJoolRunner {
  const cfg = resolveOptions(options);
  const epoch = Math.floor(cfg.now());
  // Built (and their history replayed) up front, so the first scrape is not the slow one.
  const sims = new Map<string, Sim>(cfg.instances.map((name, index) => [name, createSim(cfg, index)]));
  const faults: DemoFault[] = [];
  const simFor = (name: string): Sim | undefined => sims.get(name);
  const clock = (): number => Math.floor(cfg.now()) - epoch;

  const ctx: CommandContext = { cfg, simFor, clock };

  const runner = ((args: readonly string[], run: RunOptions): JoolCall => {
    const fault = faults.shift();
    const body = fault === undefined ? runCommand(ctx, args) : faultBody(ctx, args, fault);
    return startCall(body, run.timeoutMs);
  }) as DemoJoolRunner;

  const control: DemoControl = {
    failNext(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    inspect(instance = 'default') {
      const sim = simFor(instance);
      if (sim === undefined) throw new Error(`demo jool has no instance named '${instance}'`);
      const t = clock();
      sim.advance(t);
      return inspectSim(sim, epoch);
    },
  };
  Object.defineProperty(runner, 'control', { value: control, enumerable: true });
  return runner;
}
