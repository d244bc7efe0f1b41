// The outside load generator for bench/http.bench.ts: autocannon (npm), in its own process so it
// shares nothing with the server but the loopback. Reads its job as JSON from argv[2], prints
// autocannon's result as one JSON line. Searches vary the e-mail as the in-repo generator does.
import autocannon from 'autocannon';

const job = JSON.parse(process.argv[2]);
let n = 0;
const search = {
  method: 'POST',
  path: '/api/v1/subjects/search',
  headers: { authorization: `Bearer ${job.token}`, 'content-type': 'application/json' },
  setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `person.${(n++ * 104_729) % job.subjects}@example.com` }) }),
};
const run = (opts) => new Promise((resolve, reject) => autocannon(opts, (err, r) => (err ? reject(err) : resolve(r))));
const base = { url: job.url, connections: job.concurrency, requests: [job.mode === 'search' ? search : { method: 'GET', path: '/healthz' }] };
await run({ ...base, duration: job.warmupSeconds });
const r = await run({ ...base, duration: job.seconds });
process.stdout.write(`${JSON.stringify({ requests: r.requests.total, seconds: r.duration, perSec: r.requests.total / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx + r.timeouts })}\n`);
