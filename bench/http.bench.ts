/**
 * (c) Lookup over HTTP: `steward serve` (startServer, listening on 127.0.0.1, a free port) over a
 * database of people, and a loopback load generator in a worker thread doing
 * POST /api/v1/subjects/search with a staff API token, as a client would. Then GET /healthz with
 * the same server and client: the ceiling this machine puts on any request.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createToken } from '../src/auth/auth.service.js';
import { startServer } from '../src/server/serve.js';
import type { LoadJob, LoadResult } from './loadgen.worker.js';
import type { BenchTarget } from './support.js';
import { cliActor } from '../src/kernel/actors.js';

export type HttpResult = LoadResult & {
  concurrency: number;
  /** CPU time this process (the server; the generator idle or elsewhere) spent per request, µs. */
  cpuUsPerRequest?: number;
};

/**
 * The same load from autocannon (npm), an outside generator in its own process: the server's
 * process then runs the server alone, so its CPU time per request is measured too. Its latency
 * percentiles are whole milliseconds.
 */
function autocannonLoad(job: { url: string; token: string; subjects: number; concurrency: number; seconds: number; warmupSeconds: number; mode: 'search' | 'healthz' }): Promise<HttpResult> {
  const child = spawn(process.execPath, [new URL('./autocannon.child.mjs', import.meta.url).pathname, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  let cpu: NodeJS.CpuUsage | undefined;
  // Count the server's CPU from the end of the warm-up.
  const mark = setTimeout(() => (cpu = process.cpuUsage()), job.warmupSeconds * 1000 + 200);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(mark);
    const used = cpu ? process.cpuUsage(cpu) : undefined;
    if (code !== 0) throw new Error(`autocannon exited with ${String(code)}`);
    const r = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
    return { ...r, concurrency: job.concurrency, ...(used ? { cpuUsPerRequest: (used.user + used.system) / r.requests } : {}) };
  });
}

export async function httpBench(
  target: BenchTarget,
  subjects: number,
  opts: { concurrency?: number; seconds?: number; maxRequests?: number; outside?: boolean } = {},
): Promise<{ search: HttpResult; healthz: HttpResult; outside?: { search: HttpResult; healthz: HttpResult } }> {
  const server = await startServer({ ...target.config, host: '127.0.0.1', port: 0 }, { logger: false });
  try {
    const { token } = await createToken(server.runtime, cliActor(), { name: 'bench', role: 'staff', expiresInDays: 1 });
    const concurrency = opts.concurrency ?? 32;
    const load = (mode: LoadJob['mode']): Promise<HttpResult> => {
      const job: LoadJob = {
        entry: new URL('./loadgen.worker.ts', import.meta.url).href,
        url: server.url,
        token,
        subjects,
        concurrency,
        seconds: opts.seconds ?? 10,
        maxRequests: opts.maxRequests ?? 500_000,
        warmupSeconds: 2,
        mode,
      };
      return new Promise<LoadResult>((resolve, reject) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: job });
        worker.once('message', (r: LoadResult) => {
          resolve(r);
          void worker.terminate();
        });
        worker.once('error', reject);
      }).then((r) => ({ ...r, concurrency }));
    };
    const search = await load('search');
    const healthz = await load('healthz');
    if (opts.outside === false) return { search, healthz };
    const outside = (mode: 'search' | 'healthz') => autocannonLoad({ url: server.url, token, subjects, concurrency, seconds: opts.seconds ?? 10, warmupSeconds: 2, mode });
    return { search, healthz, outside: { search: await outside('search'), healthz: await outside('healthz') } };
  } finally {
    await server.close();
  }
}
