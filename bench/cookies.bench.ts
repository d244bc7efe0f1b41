/**
 * The website cookie banner: the size a browser downloads (script and styles, gzipped) beside the
 * peers' figures quoted in issue 18, and the consent log under load: `steward serve` on SQLite
 * (startServer on 127.0.0.1, a free port) taking POST /cookies/consent from the loopback load
 * generator in a worker thread, each a new visitor's choice from an allowed website, with the
 * rate limit raised (one address sends everything); then GET /healthz from the same client, the
 * ceiling any request has here.
 *
 * Run alone: node --import tsx bench/cookies.bench.ts
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bannerConfig, bannerScript, gzippedSize } from '../src/cookies/cookies.banner.js';
import { loadConfig } from '../src/config/config.js';
import { loadPolicy } from '../src/policy/policy.loader.js';
import { startServer } from '../src/server/serve.js';
import type { LoadJob, LoadResult } from './loadgen.worker.js';
import { createTarget, fmtInt, fmtMs, intEnv, log } from './support.js';

const COOKIE_POLICY = path.resolve(import.meta.dirname, '../test/fixtures/cookies/policy.yaml');
const EXAMPLES = ['kestronics', 'kynex', 'smart-computers'].map((n) => path.resolve(import.meta.dirname, `../examples/${n}.yaml`));
const SITE = 'https://www.test.example';

/** The peers, as issue 18 quotes them (gzipped). */
export const PEERS = 'cookieconsent v3 ~10 KB JS + 5 KB CSS; Klaro ~69 KB; fides.js budget 45 KB';

export async function bannerSizes(): Promise<{ name: string; bytes: number }[]> {
  const out: { name: string; bytes: number }[] = [];
  for (const file of [COOKIE_POLICY, ...EXAMPLES]) {
    const loaded = await loadPolicy(file);
    out.push({ name: path.basename(file), bytes: gzippedSize(bannerScript(bannerConfig(loaded), false)) });
  }
  return out;
}

export async function runCookiesBench(): Promise<Record<string, number | string>> {
  const sizes = await bannerSizes();
  const largest = Math.max(...sizes.map((s) => s.bytes));
  log(`cookie banner gzipped: ${sizes.map((s) => `${s.name} ${s.bytes} B`).join(', ')}`);

  const seconds = intEnv('BENCH_COOKIE_SECONDS', 10);
  const concurrency = intEnv('BENCH_HTTP_CONCURRENCY', 32);
  const target = await createTarget('sqlite');
  await target.close();
  const config = loadConfig(
    { dataDir: target.dir, policy: COOKIE_POLICY, db: target.url, port: 0, logLevel: 'silent' },
    { STEWARD_MASTER_KEY: target.config.masterKey, STEWARD_COOKIE_ORIGINS: SITE, STEWARD_COOKIE_RATE_LIMIT: '1000000' },
    target.dir,
  );
  const server = await startServer({ ...config, host: '127.0.0.1', port: 0 }, { logger: false, jobs: false });
  try {
    const banner = bannerConfig(server.runtime.policy);
    const choice = JSON.stringify({ choices: { analytics: true, marketing: false, statistics: true }, method: 'banner', noticeVersion: banner.noticeVersion, bannerVersion: banner.bannerVersion, gpc: false });
    const load = (mode: LoadJob['mode']): Promise<LoadResult> => {
      const job: LoadJob = {
        entry: new URL('./loadgen.worker.ts', import.meta.url).href,
        url: server.url,
        token: '',
        subjects: 1,
        concurrency,
        seconds,
        maxRequests: 1_000_000,
        warmupSeconds: 2,
        mode,
        cookieChoice: choice,
        cookieOrigin: SITE,
      };
      return new Promise<LoadResult>((resolve, reject) => {
        const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: job });
        worker.once('message', (r: LoadResult) => {
          resolve(r);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    };
    log(`cookie consent log: ${seconds} s of POST /cookies/consent, ${concurrency} connections, on SQLite…`);
    const consent = await load('cookie-consent');
    if (consent.errors) log(`    ${consent.errors} errors; first: ${consent.firstError}`);
    const healthz = await load('healthz');
    const stored = await server.runtime.database.db.selectFrom('cookie_consents').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return {
      'banner.js, script + styles gzipped (largest of 4 declarations)': `${(largest / 1024).toFixed(1)} KB (goal ≤ 8 KB; peers: ${PEERS})`,
      'consent records/s over HTTP (sqlite)': `${fmtInt(consent.perSec)}/s (goal ≥ 2,000/s), p50 ${fmtMs(consent.p50Ms)}, p99 ${fmtMs(consent.p99Ms)}, ${consent.errors} errors, ${fmtInt(Number(stored.n))} rows stored`,
      '  same server and client, GET /healthz (sqlite)': `${fmtInt(healthz.perSec)}/s, ${healthz.errors} errors`,
    };
  } finally {
    await server.close();
    await target.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await runCookiesBench();
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k}: ${v}\n`);
}
