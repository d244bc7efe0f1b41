/**
 * Retention at scale: plan and run over a register of RETENTION_BENCH_RECORDS records (default
 * 1 000 000, five per person) of which RETENTION_BENCH_DUE (default 100 000) are due, on SQLite.
 * Prints the run's time and its ratio to a plain DELETE of the same rows on a copy of the same
 * database (the goal: the run in 10 s or less).
 *
 * The register is seeded directly with synthetic rows: ciphertexts are random bytes of a realistic
 * length (the run deletes them without decrypting) and 10% of the people who are not due have an
 * end in the coming years, so the plan has every kind of record to count.
 *
 *   node --import tsx bench/retention.bench.ts
 *
 * bench/run.ts calls runRetentionBench() and prints what it returns.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/database.js';
import { planRetention } from '../src/retention/retention.plan.js';
import { runRetention } from '../src/retention/retention.run.js';
import { fixedClock } from '../src/shared/clock.js';
import { newId } from '../src/shared/ids.js';
import { benchActor, createTarget, fmtInt, intEnv, log } from './support.js';
import '../src/retention/retention.tables.js';

const PER_SUBJECT = 5;
// The benchmark declaration (test/fixtures/register/policy.yaml): deliver-orders, kept 6 years after contract-ended.
const CATEGORIES = ['name', 'email-address', 'phone', 'company', 'job-title'] as const;
const PURPOSES = JSON.stringify([{ purpose: 'deliver-orders', basis: 'contract' }]);
const NOW = '2026-03-02T10:00:00.000Z';

/**
 * Seeds `subjects` people with five records each; every tenth (up to `dueSubjects`) ended their
 * contract in 2015. Written with prepared statements on a second connection to the same file:
 * the seeding is not what is measured, and a million rows through the query builder take minutes.
 */
function seed(file: string, subjects: number, dueSubjects: number): void {
  const h = new SQLite(file);
  h.pragma('journal_mode = WAL');
  h.pragma('synchronous = OFF');
  const insSubject = h.prepare('insert into subjects (id, created_at, updated_at, created_by, restricted, erased_at) values (?, ?, ?, ?, 0, null)');
  const insKey = h.prepare('insert into subject_keys (subject_id, wrapped_key, kek_version, created_at, destroyed_at) values (?, ?, 1, ?, null)');
  const insRel = h.prepare("insert into subject_relationships (subject_id, relationship, role, started_at) values (?, 'customer', 'controller', ?)");
  const insRecord = h.prepare(
    "insert into records (id, subject_id, category, kind, purposes, source, content_type, size, ciphertext, collected_at, recorded_by, created_at, updated_at) values (?, ?, ?, 'value', ?, 'customer-direct', null, 40, ?, '2012-05-01T09:00:00.000Z', 'bench', ?, ?)",
  );
  const insIndex = h.prepare("insert into blind_indexes (record_id, subject_id, kind, key_version, digest) values (?, ?, 'email', 1, ?)");
  const insEvent = h.prepare("insert into life_events (id, subject_id, type, occurred_on, relationship, recorded_by, recorded_at, origin) values (?, ?, 'contract-ended', ?, null, 'bench', ?, 'bench')");
  const key = randomBytes(61);
  const noise = randomBytes(1 << 20);
  const step = Math.max(1, Math.round(subjects / dueSubjects));
  const batch = h.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      // Due people are spread through the id order, as real contract ends would be.
      const due = i % step === 0 && i / step < dueSubjects;
      const id = newId();
      insSubject.run(id, NOW, NOW, 'bench');
      insKey.run(id, key, NOW);
      insRel.run(id, NOW);
      for (let c = 0; c < PER_SUBJECT; c++) {
        const rid = newId();
        const at = (i * PER_SUBJECT + c) * 69 % (noise.length - 69);
        insRecord.run(rid, id, CATEGORIES[c]!, PURPOSES, noise.subarray(at, at + 69), NOW, NOW);
        if (c === 1) insIndex.run(rid, id, randomBytes(32).toString('hex'));
      }
      const ended = due ? '2015-06-30' : i % 10 === 1 ? `20${22 + (i % 4)}-0${1 + (i % 9)}-15` : undefined;
      if (ended) insEvent.run(newId(), id, ended, NOW);
    }
  });
  for (let from = 0; from < subjects; from += 10_000) batch(from, Math.min(subjects, from + 10_000));
  h.pragma('wal_checkpoint(TRUNCATE)');
  h.close();
}

export async function runRetentionBench(): Promise<Record<string, number | string>> {
  const records = intEnv('RETENTION_BENCH_RECORDS', 1_000_000);
  const dueRecords = intEnv('RETENTION_BENCH_DUE', 100_000);
  const subjects = Math.ceil(records / PER_SUBJECT);
  const dueSubjects = Math.min(subjects, Math.ceil(dueRecords / PER_SUBJECT));
  const target = await createTarget('sqlite');
  try {
    log(`retention: seeding ${fmtInt(subjects * PER_SUBJECT)} records of ${fmtInt(subjects)} people, ${fmtInt(dueSubjects * PER_SUBJECT)} due…`);
    let t0 = performance.now();
    const file = target.url.slice('sqlite:'.length);
    seed(file, subjects, dueSubjects);
    await sql`analyze`.execute(target.ctx.database.db);
    const seedSeconds = (performance.now() - t0) / 1000;
    const clock = fixedClock(NOW);
    const ctx = { ...target.ctx, clock };

    log('retention: plan…');
    t0 = performance.now();
    const plan = await planRetention(ctx, benchActor, { detail: 0 });
    const planMs = performance.now() - t0;

    // The baseline runs on a copy of the same file: the same rows, the same indexes.
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(target.ctx.database.db);
    const copy = path.join(target.dir, 'baseline.sqlite');
    copyFileSync(file, copy);
    const baseline = await openDatabase(`sqlite:${copy}`, { migrate: false });
    let plainMs: number;
    let plainCpu: NodeJS.CpuUsage;
    try {
      const dueIds = (
        await baseline.db
          .selectFrom('records')
          .select('records.id')
          .innerJoin('life_events', 'life_events.subject_id', 'records.subject_id')
          .where('life_events.occurred_on', '=', '2015-06-30')
          .where('life_events.type', '=', 'contract-ended')
          .execute()
      ).map((r) => r.id);
      log(`retention: plain DELETE of ${fmtInt(dueIds.length)} rows…`);
      plainCpu = process.cpuUsage();
      t0 = performance.now();
      await baseline.db.transaction().execute(async (trx) => {
        for (let i = 0; i < dueIds.length; i += 5000) await trx.deleteFrom('records').where('id', 'in', dueIds.slice(i, i + 5000)).execute();
      });
      plainMs = performance.now() - t0;
      plainCpu = process.cpuUsage(plainCpu);
    } finally {
      await baseline.close();
    }

    log('retention: run…');
    let runCpu = process.cpuUsage();
    t0 = performance.now();
    const run = await runRetention(ctx, benchActor);
    const runMs = performance.now() - t0;
    runCpu = process.cpuUsage(runCpu);
    const cpuS = (u: NodeJS.CpuUsage) => Number(((u.user + u.system) / 1e6).toFixed(2));
    const again = performance.now();
    const second = await runRetention(ctx, benchActor);
    const secondMs = performance.now() - again;
    const result = {
      records: plan.totals.records,
      people: plan.totals.subjects,
      due: plan.totals.due,
      'seed s': Number(seedSeconds.toFixed(1)),
      'plan s': Number((planMs / 1000).toFixed(2)),
      'run s': Number((runMs / 1000).toFixed(2)),
      'plain DELETE s': Number((plainMs / 1000).toFixed(2)),
      'run / plain DELETE': Number((runMs / plainMs).toFixed(1)),
      // CPU time of this process: less sensitive than wall time to other work on a shared machine.
      'run CPU s': cpuS(runCpu),
      'plain DELETE CPU s': cpuS(plainCpu!),
      'load average': os.loadavg()[0]!.toFixed(1),
      deleted: run.deleted,
      'people erased': run.subjectsErased,
      'second run ms (nothing due)': Number(secondMs.toFixed(1)),
      'second run deleted': second.deleted,
      goal: `run ≤ 10 s: ${runMs <= 10_000 ? 'met' : 'NOT met'}`,
    };
    return result;
  } finally {
    await target.dispose();
  }
}

// Run directly: print the figures.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runRetentionBench();
  const width = Math.max(...Object.keys(r).map((k) => k.length));
  for (const [k, v] of Object.entries(r)) process.stdout.write(`${k.padEnd(width)}  ${typeof v === 'number' ? v.toLocaleString('en-GB') : v}\n`);
}
