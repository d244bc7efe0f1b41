/**
 * A loopback load generator, in a worker thread so it runs on the other core: `concurrency`
 * loops, each sending one request at a time over a keep-alive connection, until `maxRequests`
 * have been sent or `seconds` have passed. Reports counts and latencies; never judges them.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadJob {
  entry: string;
  url: string;
  token: string;
  subjects: number;
  concurrency: number;
  seconds: number;
  maxRequests: number;
  warmupSeconds: number;
  /** 'search': POST /api/v1/subjects/search; 'healthz': GET /healthz (a `select 1`), the ceiling. */
  mode: 'search' | 'healthz' | 'cookie-consent';
  /** 'cookie-consent': POST /cookies/consent with this choice (a fresh visitor's each time), from this website. */
  cookieChoice?: string;
  cookieOrigin?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

const job = workerData as LoadJob;
const target = new URL(job.mode === 'search' ? '/api/v1/subjects/search' : job.mode === 'cookie-consent' ? '/cookies/consent' : '/healthz', job.url);
const cookieHeaders = job.cookieOrigin ? { origin: job.cookieOrigin, 'user-agent': 'Mozilla/5.0 (bench)' } : {};
const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });

function send(body: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: body === undefined ? 'GET' : 'POST',
        headers:
          body === undefined
            ? {}
            : job.mode === 'cookie-consent'
              ? { ...cookieHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
              : { authorization: `Bearer ${job.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const emailOf = (i: number): string => `person.${i}@example.com`;

async function run(seconds: number, maxRequests: number, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const loop = async (k: number): Promise<void> => {
    while (sent < maxRequests && performance.now() < deadline) {
      const n = sent++;
      const body = job.mode === 'search' ? JSON.stringify({ email: emailOf((n * 104_729 + k) % job.subjects) }) : job.mode === 'cookie-consent' ? job.cookieChoice : undefined;
      const t0 = performance.now();
      try {
        const res = await send(body);
        if (res.status !== (job.mode === 'cookie-consent' ? 201 : 200) || (job.mode === 'search' && !res.body.includes('"subjects":[{'))) {
          errors++;
          firstError ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        }
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
      if (record) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, k) => loop(k)));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? Number.NaN;
  return { requests: sent, errors, seconds: elapsed, perSec: sent / elapsed, p50Ms: pct(50), p99Ms: pct(99), ...(firstError ? { firstError } : {}) };
}

await run(job.warmupSeconds, Number.MAX_SAFE_INTEGER, false);
const result = await run(job.seconds, job.maxRequests, true);
agent.destroy();
parentPort!.postMessage(result);
