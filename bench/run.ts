/**
 * `npm run bench`: the register's speed, measured in one run and printed as a table. Figures
 * only: nothing here asserts a timing, because they depend on the machine.
 *
 *   (a) import: synthetic people with six fields from CSV through the full path, and its ratio to
 *       a plain better-sqlite3 insert of the same rows
 *   (b) lookup by e-mail among many people, in process: p50 / p99
 *       and the console's dashboard and person page among them: server time
 *   (c) the same lookup over HTTP with a loopback load generator: requests/s
 *   (d) RSS while a large CSV streams through the import
 *   (e) the crypto micro-benchmark (src/crypto/bench.ts)
 *
 * Environment (all optional):
 *   BENCH_IMPORT_SUBJECTS   (a) people imported, default 100 000
 *   BENCH_SUBJECTS          (b, c) people to look up among, default 1 000 000; on SQLite they are
 *                           kept in BENCH_CACHE_DIR (default <tmp>/steward-bench-cache) between
 *                           runs, BENCH_FRESH=1 recreates them
 *   BENCH_PG_SUBJECTS       (b) on PostgreSQL, default BENCH_SUBJECTS
 *   BENCH_IMPORT_ROWS       (d) rows in the CSV, default 1 000 000
 *   BENCH_MEMORY_SECONDS    (d) time cap, default 30
 *   BENCH_HTTP_SECONDS      (c) per measurement, default 10; BENCH_HTTP_CONCURRENCY default 32;
 *                           (c) runs the in-repo generator, then autocannon (BENCH_AUTOCANNON=0: not)
 *   BENCH_ONLY              a comma list of crypto,import,memory,lookup,http (the default), and
 *                           retention,consent,requests,cookies,console,soak: other features'
 *                           benchmarks, run only when named
 *   STEWARD_BENCH_DATABASE_URL  run (a) and (b) on PostgreSQL too, each in a fresh schema
 *   soak (in BENCH_ONLY)    two `steward serve` instances on one PostgreSQL database (a scratch
 *                           database beside STEWARD_BENCH_DATABASE_URL's) under a mixed load
 *                           (bench/soak.ts); SOAK_SECONDS, default 60, or 10 with BENCH_QUICK=1;
 *                           SOAK_CONCURRENCY default 16
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { httpBench } from './http.bench.js';
import { importBench, parseOnlyBench, plainInsertBench, registerRowsFloorBench, type MemoryResult } from './import.bench.js';
import { lookupBench, seedSubjects } from './lookup.bench.js';
import { describeSoak, runSoak } from './soak.js';
import { pagesBench } from './pages.bench.js';
import { createTarget, fmtInt, fmtMiB, fmtMs, intEnv, log, type BenchTarget } from './support.js';

interface Line {
  name: string;
  result: string;
  goal: string;
  note?: string;
}

const lines: Line[] = [];
const only = new Set((process.env.BENCH_ONLY ?? 'crypto,import,memory,lookup,http').split(',').map((s) => s.trim()));
const pgUrl = process.env.STEWARD_BENCH_DATABASE_URL;
const importN = intEnv('BENCH_IMPORT_SUBJECTS', 100_000);
const lookupN = intEnv('BENCH_SUBJECTS', 1_000_000);
const pgLookupN = intEnv('BENCH_PG_SUBJECTS', lookupN);
const memoryRows = intEnv('BENCH_IMPORT_ROWS', 1_000_000);
const memorySeconds = intEnv('BENCH_MEMORY_SECONDS', 30);
const httpSeconds = intEnv('BENCH_HTTP_SECONDS', 10);
const httpConcurrency = intEnv('BENCH_HTTP_CONCURRENCY', 32);
const k = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : fmtInt(n));

async function withTarget<T>(kind: 'sqlite' | 'postgres', fn: (t: BenchTarget) => Promise<T>, keep?: string): Promise<T> {
  const t = await createTarget(kind, pgUrl, keep ? { keep } : {});
  try {
    return await fn(t);
  } finally {
    await t.dispose();
  }
}

async function cryptoSection(): Promise<void> {
  const file = new URL('../src/crypto/bench.ts', import.meta.url);
  if (!existsSync(file)) {
    log('(e) crypto: src/crypto/bench.ts not present, skipped');
    return;
  }
  log('(e) crypto micro-benchmark…');
  const { runCryptoBench } = (await import(file.href)) as typeof import('../src/crypto/bench.js');
  const r = runCryptoBench({ iterations: 20_000 });
  lines.push(
    { name: 'crypto: encrypt one field (AES-256-GCM)', result: `${fmtInt(r.encryptOpsPerSec)}/s`, goal: '' },
    { name: 'crypto: wrap + unwrap a data key', result: `${fmtInt(r.wrapUnwrapOpsPerSec)}/s`, goal: '' },
    { name: 'crypto: blind index (email / phone)', result: `${fmtInt(r.blindIndexEmailOpsPerSec)} / ${fmtInt(r.blindIndexPhoneOpsPerSec)}/s`, goal: '' },
    { name: 'crypto: card screening of a record', result: `${fmtInt(r.cardScreenRecordsPerSec)}/s`, goal: '' },
    { name: 'crypto: estimated subjects/s, one core', result: `${fmtInt(r.estimatedSubjectsPerSecPerCore)}/s`, goal: '', note: 'crypto work alone: a ceiling for (a)' },
  );
}

async function importSection(kind: 'sqlite' | 'postgres'): Promise<void> {
  log(`(a) import on ${kind}…`);
  await withTarget(kind, async (t) => {
    const r = await importBench(t, importN);
    const line: Line = { name: `import ${k(importN)} people, contact spreadsheet 9 columns × 3 categories, CSV (${kind})`, result: `${fmtInt(r.subjectsPerSec)} people/s`, goal: kind === 'sqlite' ? '≥ 20,000/s' : '' };
    if (kind === 'sqlite') {
      const plain = plainInsertBench(t.dir, importN);
      const parse = await parseOnlyBench(t, importN);
      const floor = await registerRowsFloorBench(t.dir, importN);
      line.note = `${r.seconds.toFixed(1)} s; plain better-sqlite3 insert ${fmtInt(plain.rowsPerSec)} rows/s (${(plain.rowsPerSec / r.subjectsPerSec).toFixed(1)}× faster); CSV parsing alone ${fmtInt(parse)} rows/s`;
      lines.push(line, {
        name: `  the register's 9 rows per person alone (sqlite)`,
        result: `${fmtInt(floor.perSec)} people/s`,
        goal: '',
        note: `the floor SQLite sets: the same tables, indexes and foreign keys, prepared statements, no parsing, checks or crypto; the import runs at ${((100 * r.subjectsPerSec) / floor.perSec).toFixed(0)}% of it`,
      });
      return;
    } else {
      line.note = `${r.seconds.toFixed(1)} s`;
    }
    lines.push(line);
  });
}

async function memorySection(): Promise<void> {
  log('(d) memory during a large import (sqlite), in a fresh process…');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./memory.child.ts', import.meta.url))], {
    env: { ...process.env, BENCH_IMPORT_ROWS: String(memoryRows), BENCH_MEMORY_SECONDS: String(memorySeconds) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the memory benchmark exited with ${code}`);
  const m = JSON.parse(out.trim().split('\n').pop()!) as MemoryResult;
  lines.push({
    name: `private RSS during a ${k(memoryRows)}-row CSV import (sqlite)`,
    result: `${fmtMiB(m.startRss)} → peak ${fmtMiB(m.peakRss)} → ${fmtMiB(m.endRss)}`,
    goal: 'flat',
    note:
      `${fmtInt(m.rowsImported)} rows in ${m.seconds.toFixed(0)} s${m.capped ? ` (stopped at the ${memorySeconds} s cap)` : ''}; ` +
      `RSS with the mapped database file ${fmtMiB(m.totalRss.start)} → peak ${fmtMiB(m.totalRss.peak)}; ` +
      `heap after GC ${fmtMiB(m.retainedHeapStart)} at row ${fmtInt(m.rowsAtFirstSample)}, ${fmtMiB(m.retainedHeapEnd)} at row ${fmtInt(m.rowsAtLastSample)}`,
  });
}

async function lookupSection(kind: 'sqlite' | 'postgres', withHttp: boolean, lookupN: number): Promise<void> {
  // Creating a million people takes minutes on a small machine: on SQLite they are kept between
  // runs (they are synthetic), unless BENCH_FRESH=1.
  const keep = kind === 'sqlite' ? path.join(process.env.BENCH_CACHE_DIR ?? path.join(os.tmpdir(), 'steward-bench-cache'), `lookup-${lookupN}`) : undefined;
  if (keep && process.env.BENCH_FRESH) rmSync(keep, { recursive: true, force: true });
  await withTarget(kind, async (t) => {
    const marker = keep && path.join(keep, 'seeded');
    let seeded: string;
    if (marker && existsSync(marker)) {
      seeded = `${fmtInt(lookupN)} people from the cache in ${keep} (BENCH_FRESH=1 to recreate)`;
      log(`(b) ${seeded}`);
    } else {
      log(`(b) creating ${fmtInt(lookupN)} people on ${kind}…`);
      const seed = await seedSubjects(t, lookupN);
      seeded = `${fmtInt(lookupN)} people created in ${seed.seconds.toFixed(0)} s (${fmtInt(seed.perSec)}/s, 2 worker threads)`;
      log(`    ${seeded}`);
      if (marker) writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    if (only.has('lookup')) {
      log(`(b) lookups on ${kind}…`);
      const r = await lookupBench(t, lookupN);
      lines.push({
        name: `lookup by email among ${k(lookupN)}, in process (${kind})`,
        result: `p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}`,
        goal: 'p50 < 0.2 ms',
        note: `${fmtInt(r.lookups)} sequential findSubjects calls, each audited; ${fmtInt(r.perSec)}/s; ${seeded}`,
      });
      log(`(b) console pages among ${k(lookupN)} on ${kind}…`);
      const p = await pagesBench(t, lookupN);
      lines.push(
        {
          name: `  console: the dashboard's data among ${k(lookupN)} (${kind})`,
          result: `p50 ${fmtMs(p.dashboardP50Ms)}, p99 ${fmtMs(p.dashboardP99Ms)}`,
          goal: '≤ 100 ms',
          note: `server time (inject), GET /api/v1/dashboard as a privacy officer; ${p.errors} errors`,
        },
        {
          name: `  console: a person's page among ${k(lookupN)} (${kind})`,
          result: `p50 ${fmtMs(p.personP50Ms)}, p99 ${fmtMs(p.personP99Ms)}`,
          goal: '≤ 50 ms',
          note: `server time of the 7 requests the page makes, in parallel as the console makes them; ${fmtInt(p.people)} people`,
        },
      );
    }
    if (withHttp) {
      await t.close();
      log(`(c) HTTP load on ${kind} (${httpSeconds} s, ${httpConcurrency} connections)…`);
      const { search: h, healthz, outside } = await httpBench(t, lookupN, { seconds: httpSeconds, concurrency: httpConcurrency, outside: process.env.BENCH_AUTOCANNON !== '0' });
      if (h.errors > 0) log(`    ${h.errors} errors; first: ${h.firstError}`);
      lines.push({
        name: `lookup over HTTP among ${k(lookupN)} (${kind})`,
        result: `${fmtInt(h.perSec)} requests/s`,
        goal: '≥ 6,600/s',
        note: `${(h.perSec / healthz.perSec).toFixed(2)} of /healthz on this run; ${fmtInt(h.requests)} POST /api/v1/subjects/search, ${h.concurrency} keep-alive connections, p50 ${fmtMs(h.p50Ms)}, p99 ${fmtMs(h.p99Ms)}, ${h.errors} errors; in-repo generator (bench/loadgen.worker.ts)`,
      });
      lines.push({
        name: `  same server and client, GET /healthz (${kind})`,
        result: `${fmtInt(healthz.perSec)} requests/s`,
        goal: '',
        note: `the ceiling here: routing and one \`select 1\`; p50 ${fmtMs(healthz.p50Ms)}, ${healthz.errors} errors`,
      });
      if (outside) {
        const o = outside.search;
        const cpu = (r: typeof o) => (r.cpuUsPerRequest === undefined ? '' : `; server CPU ${fmtInt(r.cpuUsPerRequest)} µs per request`);
        lines.push(
          {
            name: `  the same search, autocannon (${kind})`,
            result: `${fmtInt(o.perSec)} requests/s`,
            goal: '≥ 6,600/s',
            note: `${(o.perSec / outside.healthz.perSec).toFixed(2)} of /healthz by autocannon; ${fmtInt(o.requests)} requests, p50 ${o.p50Ms} ms, p99 ${o.p99Ms} ms, ${o.errors} errors${cpu(o)}`,
          },
          {
            name: `  GET /healthz, autocannon (${kind})`,
            result: `${fmtInt(outside.healthz.perSec)} requests/s`,
            goal: '',
            note: `p99 ${outside.healthz.p99Ms} ms, ${outside.healthz.errors} errors${cpu(outside.healthz)}`,
          },
        );
      }
    }
  }, keep);
}

/**
 * Benchmarks other features keep in bench/ (retention, consent, requests): opt-in, by naming them
 * in BENCH_ONLY, because each seeds its own large register. They return figures by name, or print
 * their own.
 */
async function featureSection(name: string, file: string, fn: string): Promise<void> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) {
    log(`${name}: ${file} not present, skipped`);
    return;
  }
  log(`${name}…`);
  try {
    const mod = (await import(url.href)) as Record<string, (opts: { pgUrl?: string }) => Promise<Record<string, number | string> | void>>;
    const figures = await mod[fn]!(pgUrl ? { pgUrl } : {});
    if (!figures) {
      lines.push({ name, result: 'printed above', goal: '' });
      return;
    }
    for (const [key, value] of Object.entries(figures)) {
      lines.push({ name: `${name}: ${key}`, result: typeof value === 'number' ? (Number.isInteger(value) ? fmtInt(value) : value.toFixed(2)) : value, goal: '' });
    }
  } catch (e) {
    lines.push({ name, result: 'failed', goal: '', note: (e as Error).message.split('\n')[0] });
  }
}

async function soakSection(): Promise<void> {
  if (!pgUrl) {
    lines.push({ name: 'soak: two instances on PostgreSQL', result: 'skipped', goal: '', note: 'needs STEWARD_BENCH_DATABASE_URL' });
    return;
  }
  const seconds = intEnv('SOAK_SECONDS', process.env.BENCH_QUICK === '1' ? 10 : 60);
  const concurrency = intEnv('SOAK_CONCURRENCY', 16);
  log(`soak: two instances on one PostgreSQL database, ${seconds} s…`);
  const r = await runSoak({ baseUrl: pgUrl, seconds, concurrency, people: intEnv('SOAK_PEOPLE', 500) });
  for (const l of describeSoak(r, seconds, concurrency)) log(`    ${l}`);
  const once = r.jobs.filter((j) => j.runs === 1).length;
  lines.push({
    name: `soak: 2 instances, 1 PostgreSQL, mixed load, ${seconds} s`,
    result: `${fmtInt(r.load.perSec)} requests/s`,
    goal: '0 errors',
    note:
      `${fmtInt(r.load.requests)} requests at ${concurrency} connections, p99 ${fmtMs(r.load.p99Ms)}, ${r.load.errors} errors; ` +
      `audit verify ${r.verify.every((v) => v.ok) ? 'OK' : 'FAILED'} from both data folders; ${once} of ${r.jobs.length} jobs ran exactly once${r.ok ? '' : ' — FAILED'}`,
  });
}

function printTable(): void {
  const w1 = Math.max(...lines.map((l) => l.name.length), 9);
  const w2 = Math.max(...lines.map((l) => l.result.length), 6);
  const w3 = Math.max(...lines.map((l) => l.goal.length), 4);
  const out = [`${'benchmark'.padEnd(w1)}  ${'result'.padEnd(w2)}  ${'goal'.padEnd(w3)}  notes`, `${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ${'-'.repeat(w3)}  -----`];
  for (const l of lines) out.push(`${l.name.padEnd(w1)}  ${l.result.padEnd(w2)}  ${l.goal.padEnd(w3)}  ${l.note ?? ''}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
}

const started = performance.now();
log(`steward bench: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
try {
  if (only.has('crypto')) await cryptoSection();
  if (only.has('import')) await importSection('sqlite');
  if (only.has('memory')) await memorySection();
  if (only.has('lookup') || only.has('http')) await lookupSection('sqlite', only.has('http'), lookupN);
  if (pgUrl) {
    if (only.has('import')) await importSection('postgres');
    if (only.has('lookup') || only.has('http')) await lookupSection('postgres', only.has('http'), pgLookupN);
  }
  if (only.has('retention')) await featureSection('retention', './retention.bench.ts', 'runRetentionBench');
  if (only.has('consent')) await featureSection('consent', './consent.bench.ts', 'runConsentBench');
  if (only.has('requests')) await featureSection('requests', './requests.bench.ts', 'runRequestsBench');
  if (only.has('cookies')) await featureSection('cookies', './cookies.bench.ts', 'runCookiesBench');
  if (only.has('console')) await featureSection('console', './console.bench.ts', 'runConsoleBench');
  if (only.has('soak')) await soakSection();
} finally {
  printTable();
  process.stdout.write(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
}
