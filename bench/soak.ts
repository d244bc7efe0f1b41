/**
 * The soak: two `steward serve` processes on one PostgreSQL database, as a deployment with two
 * instances behind a load balancer would run, under a mixed load from a loopback generator
 * (searches, new people, rights requests, consent writes) for SOAK_SECONDS. Then both are stopped
 * and it prints requests/s, p99, the error count, `steward audit verify` from each instance's
 * data folder, and whether every scheduled job ran exactly once across the two.
 *
 *   STEWARD_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/steward node --import tsx bench/soak.ts
 *
 * It creates a database beside the one named (`<name>_soak_<random>`) and drops it afterwards
 * (SOAK_KEEP=1 keeps it). Environment: SOAK_SECONDS (default 60), SOAK_CONCURRENCY (connections,
 * default 16), SOAK_PEOPLE (people there before the load, default 500), SOAK_DATABASE_URL (instead
 * of STEWARD_BENCH_DATABASE_URL). Exit code 1 if anything it checks failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createToken, ensureOwner } from '../src/auth/auth.service.js';
import { loadConfig } from '../src/config/config.js';
import { createSubject } from '../src/register/register.service.js';
import { openRuntime } from '../src/kernel/runtime.js';
import { serverJobs } from '../src/server/jobs.js';
import { fmtInt, fmtMs, intEnv, log } from './support.js';
import { runMixedLoad, type MixedResult } from './soak.load.js';
import { cliActor, systemActor } from '../src/kernel/actors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOAK_POLICY = path.join(ROOT, 'test/fixtures/consent/policy.yaml');

export interface SoakResult {
  load: MixedResult;
  verify: Array<{ instance: string; ok: boolean; entries: number; output: string }>;
  jobs: Array<{ name: string; runs: number; byInstance: string[]; lastStatus: string | null }>;
  /** Every check passed: no errors, verify OK on both, each job once. */
  ok: boolean;
}

/** A database beside `base` on the same server: its URL, and how to drop it. */
async function scratchDatabase(base: string): Promise<{ url: string; drop(): Promise<void> }> {
  const u = new URL(base);
  const name = `${u.pathname.slice(1) || 'steward'}_soak_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`create database "${name}"`);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`drop database if exists "${name}" with (force)`) };
}

interface Instance {
  name: string;
  dataDir: string;
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string;
}

function startInstance(name: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<Instance> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/steward.js'), 'serve', '--policy', SOAK_POLICY, '--data-dir', dataDir, '--port', '0', '--log-level', 'info'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inst: Instance = { name, dataDir, child, url: '', stdout: [], stderr: '' };
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    const lines = (partial + c).split('\n');
    partial = lines.pop()!;
    inst.stdout.push(...lines);
  });
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      inst.stderr += c;
      const m = /Steward is serving .* on (http:\/\/\S+)/.exec(inst.stderr);
      if (m && !inst.url) {
        inst.url = m[1]!;
        resolve(inst);
      }
    });
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code} before serving:\n${inst.stderr}`)));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`instance ${name} did not start serving within 120 s:\n${inst.stderr}`));
    }, 120_000);
    timer.unref();
  });
}

async function stopInstance(inst: Instance): Promise<void> {
  if (inst.child.exitCode !== null) return;
  const exited = once(inst.child, 'exit');
  inst.child.kill('SIGTERM');
  await exited;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/steward.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return once(child, 'exit').then(([code]) => ({ code: code as number, stdout, stderr }));
}

export async function runSoak(opts: { baseUrl: string; seconds: number; concurrency: number; people: number; keep?: boolean }): Promise<SoakResult> {
  const db = await scratchDatabase(opts.baseUrl);
  const work = mkdtempSync(path.join(tmpdir(), 'steward-soak-'));
  const env: NodeJS.ProcessEnv = { ...process.env, STEWARD_DATABASE_URL: db.url, STEWARD_MASTER_KEY: `v1:${randomBytes(32).toString('base64')}` };
  delete env.STEWARD_CONFIG;
  const instances: Instance[] = [];
  try {
    // Set up as an operator would before starting the service: schema, owner, an API token, people.
    const config = loadConfig({ dataDir: path.join(work, 'operator'), policy: SOAK_POLICY, db: db.url }, { STEWARD_MASTER_KEY: env.STEWARD_MASTER_KEY! }, work);
    const rt = await openRuntime(config);
    let token: string;
    const subjects: string[] = [];
    let jobNames: string[];
    try {
      await ensureOwner(rt, systemActor('soak'));
      token = (await createToken(rt, cliActor(), { name: 'soak', role: 'dpo', expiresInDays: 1 })).token;
      for (let i = 0; i < opts.people; i++) {
        const s = await createSubject(rt, cliActor(), {
          relationships: [{ relationship: 'customer' }],
          records: [
            { category: 'name', value: `Soak Person ${i}` },
            { category: 'email-address', value: `soak.person.${i}@example.com` },
          ],
        });
        subjects.push(s.id);
      }
      jobNames = serverJobs(rt).map((j) => j.name);
    } finally {
      await rt.close();
    }
    log(`soak: ${db.url.replace(/\/\/[^@]*@/, '//')}, ${opts.people} people; starting two instances together…`);
    instances.push(...(await Promise.all(['a', 'b'].map((n) => startInstance(n, path.join(work, `instance-${n}`), env)))));
    log(`soak: instances on ${instances.map((i) => i.url).join(' and ')}; ${opts.seconds} s of mixed load at ${opts.concurrency} connections…`);
    const load = await runMixedLoad({ urls: instances.map((i) => i.url), token, subjects, people: opts.people, seconds: opts.seconds, concurrency: opts.concurrency });
    await Promise.all(instances.map(stopInstance));

    const verify = [];
    for (const inst of instances) {
      const r = await cli(['audit', 'verify', '--json', '--policy', SOAK_POLICY, '--data-dir', inst.dataDir], env);
      let parsed: { ok?: boolean; entries?: number } = {};
      try {
        parsed = JSON.parse(r.stdout) as typeof parsed;
      } catch {
        // not JSON: an error, reported below with its output
      }
      verify.push({ instance: inst.name, ok: r.code === 0 && parsed.ok === true, entries: parsed.entries ?? 0, output: r.code === 0 ? '' : (r.stdout + r.stderr).slice(0, 500) });
    }

    // job_runs keeps each job's lease and last run; the instances' logs hold every run.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const rows = (await c.query<{ name: string; holder: string | null; last_run_at: string | null; last_status: string | null }>('select name, holder, last_run_at, last_status from job_runs')).rows;
    await c.end();
    const jobs = jobNames.map((name) => {
      const byInstance: string[] = [];
      for (const inst of instances) {
        for (const line of inst.stdout) {
          if (!line.includes('scheduled job finished')) continue;
          const j = JSON.parse(line) as { job?: string };
          if (j.job === name) byInstance.push(inst.name);
        }
      }
      const row = rows.find((r) => r.name === name);
      return { name, runs: byInstance.length, byInstance, lastStatus: row?.last_run_at ? row.last_status : null };
    });
    const ok = load.errors === 0 && verify.every((v) => v.ok) && jobs.every((j) => j.runs === 1 && j.lastStatus !== null && !j.lastStatus.startsWith('failed'));
    return { load, verify, jobs, ok };
  } finally {
    await Promise.all(instances.map((i) => stopInstance(i).catch(() => undefined)));
    if (!opts.keep) await db.drop().catch((e: Error) => log(`soak: could not drop the scratch database: ${e.message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

/** The soak's figures as lines for a person to read. */
export function describeSoak(r: SoakResult, seconds: number, concurrency: number): string[] {
  const l = r.load;
  const out = [
    `two instances, one PostgreSQL database, ${seconds} s, ${concurrency} connections (half to each instance)`,
    `  ${fmtInt(l.requests)} requests, ${fmtInt(l.perSec)} requests/s, p50 ${fmtMs(l.p50Ms)}, p99 ${fmtMs(l.p99Ms)}, ${l.errors} errors${l.firstError ? ` (first: ${l.firstError})` : ''}`,
  ];
  for (const [kind, k] of Object.entries(l.byKind)) out.push(`    ${kind.padEnd(8)} ${fmtInt(k.requests).padStart(7)} requests, p99 ${fmtMs(k.p99Ms)}, ${k.errors} errors`);
  for (const v of r.verify) out.push(`  audit verify from instance ${v.instance}'s data folder: ${v.ok ? `OK, ${fmtInt(v.entries)} entries` : `FAILED ${v.output}`}`);
  for (const j of r.jobs) out.push(`  job ${j.name.padEnd(20)} ran ${j.runs}× (${j.byInstance.join(', ') || 'nowhere'}), job_runs: ${j.lastStatus ?? 'no run recorded'}`);
  out.push(r.ok ? 'soak: all checks passed' : 'soak: FAILED');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const baseUrl = process.env.SOAK_DATABASE_URL ?? process.env.STEWARD_BENCH_DATABASE_URL;
  if (!baseUrl) {
    log('soak: set STEWARD_BENCH_DATABASE_URL (or SOAK_DATABASE_URL) to a PostgreSQL database URL');
    process.exit(2);
  }
  const seconds = intEnv('SOAK_SECONDS', 60);
  const concurrency = intEnv('SOAK_CONCURRENCY', 16);
  const r = await runSoak({ baseUrl, seconds, concurrency, people: intEnv('SOAK_PEOPLE', 500), keep: process.env.SOAK_KEEP === '1' });
  process.stdout.write(`${describeSoak(r, seconds, concurrency).join('\n')}\n`);
  process.exitCode = r.ok ? 0 : 1;
}
