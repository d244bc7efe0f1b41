/**
 * (b) Lookup by e-mail among many people: findSubjects in process — blind index of the query,
 * the index lookup, the summary, and the audit entry every search writes — timed one call at a
 * time. The people are created with the register's own row builder in worker threads (faster
 * than a CSV import, same rows), one e-mail record each.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { insertSubjectRows } from '../src/register/register.repository.js';
import { findSubjects } from '../src/register/register.read.js';
import { type SubjectRows } from '../src/register/register.rows.js';
import { writeTx } from '../src/db/transactions.js';
import { benchActor, emailOf, log, percentile, POLICY_FILE, type BenchTarget } from './support.js';
import type { SeedJob } from './seed.worker.js';

export async function seedSubjects(target: BenchTarget, count: number, opts: { workers?: number; chunk?: number } = {}): Promise<{ seconds: number; perSec: number }> {
  const existing = Number(
    (await target.ctx.database.db.selectFrom('subjects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  );
  if (existing >= count) return { seconds: 0, perSec: Number.NaN };
  const workers = opts.workers ?? 2;
  const chunk = opts.chunk ?? 2000;
  const t0 = performance.now();
  const per = Math.ceil((count - existing) / workers);
  const masterKey = target.config.masterKey!;
  let inserted = 0;
  let lastLog = t0;
  // One insert at a time, in arrival order: the database has one writer anyway.
  let queue: Promise<void> = Promise.resolve();
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: SeedJob = {
        entry: new URL('./seed.worker.ts', import.meta.url).href,
        url: target.url,
        dataDir: target.dir,
        policyFile: POLICY_FILE,
        masterKey,
        from: existing + w * per,
        to: Math.min(count, existing + (w + 1) * per),
        chunk,
      };
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: job });
        worker.on('error', reject);
        worker.on('message', (msg: SubjectRows[] | 'done') => {
          if (msg === 'done') {
            void worker.terminate().then(() => resolve());
            return;
          }
          queue = queue.then(async () => {
            await writeTx(target.ctx, (trx) => insertSubjectRows(trx, target.ctx.database.adapter.maxParameters, msg));
            inserted += msg.length;
            worker.postMessage('ack');
            if (performance.now() - lastLog > 15_000) {
              lastLog = performance.now();
              log(`    ${(existing + inserted).toLocaleString('en-GB')} people…`);
            }
          });
          queue.catch(reject);
        });
      });
    }),
  );
  await queue;
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, perSec: (count - existing) / seconds };
}

export interface LookupResult {
  subjects: number;
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  perSec: number;
}

export async function lookupBench(target: BenchTarget, subjects: number, opts: { lookups?: number; maxSeconds?: number } = {}): Promise<LookupResult> {
  const lookups = opts.lookups ?? 20_000;
  const maxMs = (opts.maxSeconds ?? 10) * 1000;
  // Warm up: JIT, statement paths, the index pages in the cache.
  for (let i = 0; i < 500; i++) await findSubjects(target.ctx, benchActor, { email: emailOf((i * 7919) % subjects) });
  const times = new Float64Array(lookups);
  let n = 0;
  const start = performance.now();
  let misses = 0;
  for (; n < lookups && performance.now() - start < maxMs; n++) {
    // A spread of people, upper-cased now and then: the query is normalised before indexing.
    const i = (n * 104_729 + 17) % subjects;
    const email = n % 3 === 0 ? emailOf(i).toUpperCase() : emailOf(i);
    const t0 = performance.now();
    const found = await findSubjects(target.ctx, benchActor, { email });
    times[n] = performance.now() - t0;
    if (found.length !== 1) misses++;
  }
  const elapsed = performance.now() - start;
  if (misses > 0) throw new Error(`${misses} lookups did not find exactly one person`);
  const sorted = times.slice(0, n).sort();
  return { subjects, lookups: n, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), perSec: n / (elapsed / 1000) };
}
