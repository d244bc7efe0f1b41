/**
 * (c) Lookup over HTTP: `steward serve` (startServer, listening on 127.0.0.1, a free port) over a
 * database of people, and a loopback load generator in a worker thread doing
 * POST /api/v1/subjects/search with a staff API token, as a client would. Then GET /healthz with
 * the same server and client: the ceiling this machine puts on any request.
 */
import { Worker } from 'node:worker_threads';
import { createToken } from '../src/auth/auth.service.js';
import { cliActor } from '../src/runtime/runtime.js';
import { startServer } from '../src/server/serve.js';
import type { LoadJob, LoadResult } from './loadgen.worker.js';
import type { BenchTarget } from './support.js';

export type HttpResult = LoadResult & { concurrency: number };

export async function httpBench(
  target: BenchTarget,
  subjects: number,
  opts: { concurrency?: number; seconds?: number; maxRequests?: number } = {},
): Promise<{ search: HttpResult; healthz: HttpResult }> {
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
    return { search: await load('search'), healthz: await load('healthz') };
  } finally {
    await server.close();
  }
}
