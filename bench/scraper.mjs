/**
 * Scrapes /metrics from a separate process (so its own timing is not held up by
 * the exporter's event loop): CONCURRENCY clients, each scraping every INTERVAL ms, until stdin
 * closes; then prints one JSON object: `samples`, [start epoch ms, latency ms] per scrape, and
 * `errors`, failed scrapes counted by error (a failed scrape is counted, not fatal).
 */
import { Agent, get } from 'node:http';

const [url, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText ?? 4);
const intervalMs = Number(process.argv[4] ?? 50);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const samples = [];
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.resume();

const epochNow = () => performance.timeOrigin + performance.now();

/** Failed scrapes, by what went wrong: counted and printed, never the end of the run. */
const errors = {};

function scrape() {
  return new Promise((resolve) => {
    const start = epochNow();
    const failed = (what) => {
      errors[what] = (errors[what] ?? 0) + 1;
      resolve(undefined);
    };
    get(url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('error', (error) => failed(error.code ?? error.message));
      res.on('end', () => {
        if (res.statusCode !== 200) failed(`HTTP ${res.statusCode}`);
        else resolve([start, epochNow() - start]);
      });
    }).on('error', (error) => failed(error.code ?? error.message));
  });
}

async function client() {
  while (running) {
    const sample = await scrape();
    if (sample !== undefined) samples.push(sample);
    // Each client scrapes every INTERVAL ms: several Prometheus servers at a far shorter
    // interval than any would use, so that a poll of a second sees tens of scrapes.
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

await Promise.all(Array.from({ length: concurrency }, client));
agent.destroy();
process.stdout.write(JSON.stringify({ samples, errors }));
