/**
 * What the display commands print once their argv is understood: the tables
 * (streamed in chunks), stats, global settings and the instance list, with
 * the failures the real client shows for a bad or unknown instance name.
 */
import { formatExpiry } from '../format/expiry.js';
import { EXIT_EINVAL } from './argp.js';
import { JSTAT_NAMES } from './jool-stats.js';
import type { Config, DemoTimeouts } from './options.js';
import { validInstanceName } from './options.js';
import { type Body, bytes, type CallIo, immediate, type JoolExitLike } from './process.js';
import { MAX_ROW, type Rendered } from './render.js';
import type { Sim } from './sim.js';
import { newSink, putString, type Sink, sinkBuffer } from './sink.js';

export interface CommandContext {
  readonly cfg: Config;
  readonly simFor: (name: string) => Sim | undefined;
  readonly clock: () => number;
}

export type Tail = (io: CallIo, first: string) => AsyncGenerator<Buffer, JoolExitLike, void>;

export function fixedTail(text: string): Tail {
  return async function* (_io, first) {
    const all = first + text;
    if (all) yield bytes(all);
    return { exitCode: 0 };
  };
}

/**
 * The shape every instance-bound command shares in the real client: the
 * header is printed before the kernel is asked, so a bad or unknown instance
 * name fails after it.
 */
export function instanceTable(ctx: CommandContext, iname: string | undefined, header: string, tail: (sim: Sim) => Tail): Body {
  return async function* (io) {
    const name = iname ?? 'default';
    const fail = (code: number, msg: string) => {
      io.err(`Error: ${msg}\n`);
      return { exitCode: code };
    };
    if (!validInstanceName(name)) {
      if (header) yield bytes(header);
      return fail(EXIT_EINVAL, 'The instance name must be a null-terminated ascii string, 15 characters max.');
    }
    const sim = ctx.simFor(name);
    if (sim === undefined) {
      if (header) yield bytes(header);
      return fail(3, `The kernel module returned error 3: This namespace lacks an instance named '${name}'.`);
    }
    return yield* tail(sim)(io, header);
  };
}

/** Streams a big table in ~chunkBytes pieces, yielding to the event loop in between. */
export type Render = (sink: Sink, from: number, after: number, now: number, budget: number) => Rendered;

export function tableStream(ctx: CommandContext, sim: Sim, render: Render): Tail {
  return async function* (io, first) {
    const budget = ctx.cfg.chunkBytes;
    let sink = newSink(budget + MAX_ROW);
    putString(sink, first);
    let from = 0;
    let after = -1;
    for (;;) {
      // Like each netlink batch of a real dump, every chunk reads the table as it is now.
      const now = sim.advance(ctx.clock());
      const r = render(sink, from, after, now, budget);
      if (sink.pos >= budget || r.done) {
        if (sink.pos > 0) yield sinkBuffer(sink);
        sink = newSink(budget + MAX_ROW);
      }
      if (r.done) return { exitCode: 0 };
      from = r.next;
      after = r.after;
      await immediate();
      if (io.killed()) return { exitCode: null };
    }
  };
}

export function statsBody(ctx: CommandContext, sim: Sim, csv: boolean, all: boolean): Tail {
  return async function* (_io, first) {
    sim.advance(ctx.clock());
    let out = first;
    for (let i = 0; i < JSTAT_NAMES.length; i++) {
      const value = sim.stats[i]!;
      if (!all && value === 0) continue;
      out += csv ? `${JSTAT_NAMES[i]},${value}\n` : `${JSTAT_NAMES[i]}: ${value}\n`;
    }
    if (out) yield bytes(out);
    return { exitCode: 0 };
  };
}

/** `global display`: Jool's defaults (as captured from 4.1.9) with the demo's timeouts. */
export function globalBody(timeouts: DemoTimeouts, csv: boolean): Tail {
  const hms = (ms: number): string => formatExpiry(Math.floor(ms / 1000) * 1000);
  const fields: readonly (readonly [string, string | boolean | number])[] = [
    ['manually-enabled', true],
    ['pool6', '64:ff9b::/96'],
    ['lowest-ipv6-mtu', 1280],
    ['logging-debug', false],
    ['zeroize-traffic-class', false],
    ['override-tos', false],
    ['tos', 0],
    ['mtu-plateaus', '65535,32000,17914,8166,4352,2002,1492,1006,508,296,68'],
    ['address-dependent-filtering', false],
    ['drop-externally-initiated-tcp', false],
    ['drop-icmpv6-info', false],
    ['source-icmpv6-errors-better', true],
    ['f-args', 11],
    ['handle-rst-during-fin-rcv', false],
    ['tcp-est-timeout', hms(timeouts.tcpEst)],
    ['tcp-trans-timeout', hms(timeouts.tcpTrans)],
    ['udp-timeout', hms(timeouts.udp)],
    ['icmp-timeout', hms(timeouts.icmp)],
    ['logging-bib', false],
    ['logging-session', false],
    ['maximum-simultaneous-opens', 10],
    ['ss-enabled', false],
    ['ss-flush-asap', true],
    ['ss-flush-deadline', 2000],
    ['ss-capacity', 512],
    ['ss-max-payload', 1452],
  ];
  let text = '';
  for (const [key, value] of fields) {
    if (csv) {
      const v = typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : key === 'mtu-plateaus' ? `"${value}"` : String(value);
      text += `${key},${v}\n`;
    } else {
      let v = String(value);
      if (key === 'f-args') v = '11 (0b1011): SrcAddr:1 SrcPort:0 DstAddr:1 DstPort:1';
      else if (key.endsWith('-timeout')) v += ' (HH:MM:SS)';
      text += `  ${key}: ${v}\n`;
    }
  }
  return fixedTail(text);
}

export function instanceDisplay(ctx: CommandContext, csv: boolean, noHeaders: boolean, warnInstance: boolean): Body {
  return async function* (io) {
    if (warnInstance) io.err('Warning: instance display ignores -i.\n');
    const divisor = '+--------------------+-----------------+-----------+\n';
    let out = '';
    if (!noHeaders) out += csv ? 'Namespace,Name,Framework\n' : `${divisor}|          Namespace |            Name | Framework |\n`;
    if (!csv) out += divisor;
    for (const name of ctx.cfg.instances) {
      out += csv
        ? `${ctx.cfg.namespaceId},${name},netfilter\n`
        : `| ${ctx.cfg.namespaceId.padStart(18)} | ${name.padStart(15)} | netfilter |\n`;
    }
    if (!csv) out += divisor;
    yield bytes(out);
    return { exitCode: 0 };
  };
}
