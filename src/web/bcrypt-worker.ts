/**
 * bcrypt comparisons on a worker thread, so that a check never holds the exporter's event loop.
 *
 * bcryptjs's async compare yields only every 100 ms of work (its MAX_EXECUTION_TIME, fixed), and a
 * cost-10 compare takes less than that: each check would stall /metrics, /healthz and the poller in
 * one piece. On a worker, the compare runs synchronously while the main loop stays free.
 *
 * The worker is started from source text (`eval: true`), not from a file: the Debian package runs
 * the program as ONE bundled CommonJS file inside a single executable application, with no
 * node_modules and no second script to point a Worker at. Its text is bcryptjs's UMD build plus
 * the message handling below. The bundle gets the UMD text from esbuild (packaging/bundle.mjs
 * defines __BCRYPTJS_UMD_SOURCE__); the tsc build reads it from node_modules.
 *
 * One worker, started on the first compare, unref'd (it never keeps the process alive), started
 * again on the next compare if it died, terminated by stop(). Callers send one compare at a time
 * (basic-auth.ts's queue); several in flight are still answered in order.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

declare const __BCRYPTJS_UMD_SOURCE__: string | undefined;

export interface BcryptWorker {
  /** bcrypt's verdict on `password` against `hash`; rejects on a hash bcryptjs cannot read or a dead worker. */
  compare(password: string, hash: string): Promise<boolean>;
  /** Terminates the worker (a later compare starts a new one). */
  stop(): Promise<void>;
}

interface Answer {
  readonly id: number;
  readonly match?: boolean;
  readonly error?: string;
}

/** bcryptjs's UMD build: injected by the bundler, else read from node_modules (its "require" export). */
function bcryptjsSource(): string {
  if (typeof __BCRYPTJS_UMD_SOURCE__ === 'string') return __BCRYPTJS_UMD_SOURCE__;
  return readFileSync(createRequire(import.meta.url).resolve('bcryptjs'), 'utf8');
}

/** The worker's whole program: the UMD build sees CommonJS `module`/`exports`, then answers messages. */
export function workerSource(umd: string = bcryptjsSource()): string {
  return `'use strict';
const bcrypt = (function () {
  const module = { exports: {} };
  (function (module, exports, require, define) {
${umd}
  })(module, module.exports, require, undefined);
  return module.exports;
})();
require('node:worker_threads').parentPort.on('message', ({ id, password, hash }) => {
  let answer;
  try {
    answer = { id, match: bcrypt.compareSync(password, hash) };
  } catch (error) {
    answer = { id, error: String(error && error.message ? error.message : error) };
  }
  require('node:worker_threads').parentPort.postMessage(answer);
});
`;
}

export function createBcryptWorker(): BcryptWorker {
  let source: string | undefined;
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (match: boolean) => void; reject: (error: Error) => void }>();

  /** Every compare in flight fails with `error`; the next compare starts a fresh worker. */
  const lost = (dead: Worker, error: Error) => {
    if (worker !== dead) return;
    worker = undefined;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };

  const start = (): Worker => {
    source ??= workerSource();
    const started = new Worker(source, { eval: true, name: 'bcrypt' });
    started.on('message', (answer: Answer) => {
      const entry = waiting.get(answer.id);
      if (entry === undefined) return;
      waiting.delete(answer.id);
      if (answer.error !== undefined) entry.reject(new Error(`bcrypt: ${answer.error}`));
      else entry.resolve(answer.match === true);
    });
    started.on('error', (error) => lost(started, error));
    started.on('exit', (code) => lost(started, new Error(`bcrypt worker exited with code ${code}`)));
    started.unref(); // after the listeners: adding a 'message' listener refs the port again
    return started;
  };

  return {
    compare(password, hash) {
      worker ??= start();
      const id = nextId++;
      const promise = new Promise<boolean>((resolve, reject) => waiting.set(id, { resolve, reject }));
      worker.postMessage({ id, password, hash });
      return promise;
    },
    async stop() {
      const running = worker;
      if (running === undefined) return;
      lost(running, new Error('bcrypt worker stopped'));
      await running.terminate();
    },
  };
}
