/**
 * Scrapes /metrics from a separate process (so its own timing is not held up by
 * the exporter's event loop): CONCURRENCY clients, each scraping every INTERVAL ms, until stdin
 * closes; then prints one JSON array of [start epoch ms, latency ms] per scrape.
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

function scrape() {
  return new Promise((resolve, reject) => {
    const start = epochNow();
    get(url, { agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        else resolve([start, epochNow() - start]);
      });
    }).on('error', reject);
  });
}

async function client() {
  while (running) {
    samples.push(await scrape());
    // Each client scrapes every INTERVAL ms: several Prometheus servers at a far shorter
    // interval than any would use, so that a poll of a second sees tens of scrapes.
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

await Promise.all(Array.from({ length: concurrency }, client));
agent.destroy();
process.stdout.write(JSON.stringify(samples));
