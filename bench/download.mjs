/**
 * Downloads one URL from a separate process (as bench/scraper.mjs scrapes /metrics), so that
 * what the bench measures of the exporter's process (RSS, CPU) is the exporter's, not its HTTP
 * client's: read in process, the 120 MB of a 1M-row /sessions.csv came as 64 KiB buffers that
 * glibc's heap kept, fragmented, after the download. Prints one JSON object: `status`, `bytes`,
 * `seconds` (from the request to the last byte).
 */
import { get } from 'node:http';

const [url] = process.argv.slice(2);
const start = performance.now();
get(url, (res) => {
  let bytes = 0;
  res.on('data', (chunk) => (bytes += chunk.length));
  res.on('end', () => {
    const seconds = (performance.now() - start) / 1000;
    process.stdout.write(JSON.stringify({ status: res.statusCode, bytes, seconds }));
  });
}).on('error', (error) => {
  process.stderr.write(`download ${url}: ${error.message}\n`);
  process.exit(1);
});
