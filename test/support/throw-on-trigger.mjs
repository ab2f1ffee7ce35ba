// Preloaded into the exporter by test/signals.test.ts (node --import): once the file named by
// THROW_ON_TRIGGER exists, an exception nobody catches is thrown in the exporter's process, as a
// bug would throw it. Lets a test prove that even then no jool process is left behind.
import { existsSync } from 'node:fs';

const trigger = process.env.THROW_ON_TRIGGER;
if (trigger) {
  const timer = setInterval(() => {
    if (!existsSync(trigger)) return;
    clearInterval(timer);
    throw new Error('injected by test/support/throw-on-trigger.mjs');
  }, 20);
  timer.unref();
}
