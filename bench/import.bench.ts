/**
 * (a) Import throughput: synthetic people with six fields, from a generated CSV, through the full
 * path (CSV parsing, declaration checks, card screening, encryption, blind indexes, audit), and
 * the same rows inserted into a plain table with one prepared better-sqlite3 statement in one
 * transaction, for the ratio.
 * (d) Memory: RSS sampled while a large CSV streams through the same import.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../src/db/database.js';
import { newId } from '../src/shared/ids.js';
import { importSubjects, type ImportRow, type ImportSummary } from '../src/register/import.service.js';
import { readCsvRows } from '../src/register/register.cli.js';
import { loadPolicy } from '../src/policy/policy.loader.js';
import { benchActor, CONTACT_COLUMNS, contactRow, log, writeContactsCsv, writePeopleCsv, type BenchTarget } from './support.js';

export interface ImportResult {
  rows: number;
  seconds: number;
  subjectsPerSec: number;
  summary: ImportSummary;
}

/** The declaration the contact spreadsheet imports into: contact, work and addresses categories. */
export const CONTACTS_POLICY = path.resolve(import.meta.dirname, 'contacts-policy.yaml');

/**
 * (a) The realistic contact spreadsheet (nine columns, three categories) through the full import
 * path: column matching by label, field checks, card screening, one encryption per category,
 * blind indexes for email and phone, suppression check, audit.
 */
export async function importBench(target: BenchTarget, rows: number, opts: { batchSize?: number } = {}): Promise<ImportResult> {
  const file = path.join(target.dir, `contacts-${rows}.csv`);
  await writeContactsCsv(file, rows);
  const ctx = { ...target.ctx, policy: await loadPolicy(CONTACTS_POLICY) };
  log(`  importing ${rows.toLocaleString('en-GB')} rows on ${target.kind}…`);
  const t0 = performance.now();
  const summary = await importSubjects(ctx, benchActor, readCsvRows(file), { relationship: 'customer', ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  if (summary.created !== rows) throw new Error(`expected ${rows} people created, got ${summary.created} (${summary.rejected} rejected: ${JSON.stringify(summary.rejections.slice(0, 3))})`);
  return { rows, seconds, subjectsPerSec: rows / seconds, summary };
}

/** The same people as plain text in one table: what SQLite does with no encryption, checks or audit. */
export function plainInsertBench(dir: string, rows: number): { seconds: number; rowsPerSec: number } {
  const people = Array.from({ length: rows }, (_, i) => Object.values(contactRow(i)));
  const db = new SQLite(path.join(dir, 'plain.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`create table people (id integer primary key, ${CONTACT_COLUMNS.map((_, i) => `c${i} text`).join(', ')})`);
    const insert = db.prepare(`insert into people (${CONTACT_COLUMNS.map((_, i) => `c${i}`).join(', ')}) values (${CONTACT_COLUMNS.map(() => '?').join(', ')})`);
    const t0 = performance.now();
    db.transaction(() => {
      for (const p of people) insert.run(...p);
    })();
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, rowsPerSec: rows / seconds };
  } finally {
    db.close();
  }
}

/**
 * The floor the register's own rows set: for each person the nine rows the import stores (the
 * subject, its wrapped key, a relationship, three records, two blind indexes, an audit entry), into
 * the real schema with its indexes and foreign keys, by one prepared statement per table, in
 * transactions of 1,000 people; ciphertexts, digests and hashes are random bytes of the real
 * sizes. No parsing, validation, encryption or hashing: what SQLite alone costs for these rows.
 */
export async function registerRowsFloorBench(dir: string, people: number): Promise<{ seconds: number; perSec: number }> {
  const file = path.join(dir, 'floor.sqlite');
  const setup = await openDatabase(`sqlite:${file}`);
  await setup.close();
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const ins = {
      subject: db.prepare('insert into subjects (id, created_at, updated_at, created_by, restricted, erased_at) values (?, ?, ?, ?, 0, null)'),
      key: db.prepare('insert into subject_keys (subject_id, wrapped_key, kek_version, created_at, destroyed_at) values (?, ?, 1, ?, null)'),
      rel: db.prepare("insert into subject_relationships (subject_id, relationship, role, on_behalf_of, subscriber_type, started_at, ended_at) values (?, 'customer', 'controller', null, null, ?, null)"),
      record: db.prepare("insert into records (id, subject_id, category, kind, purposes, source, content_type, size, ciphertext, collected_at, recorded_by, created_at, updated_at) values (?, ?, ?, 'value', ?, 'directly', null, 30, ?, ?, 'cli:bench', ?, ?)"),
      index: db.prepare('insert into blind_indexes (record_id, subject_id, kind, key_version, digest) values (?, ?, ?, 1, ?)'),
      audit: db.prepare("insert into audit_log (at, actor, actor_role, ip, action, subject_id, record_id, purpose, details, prev_hash, hash) values (?, 'cli:bench', 'owner', null, 'subject.import', ?, null, null, ?, ?, ?)"),
    };
    const categories = ['contact', 'work', 'addresses'];
    const purposes = JSON.stringify([{ purpose: 'orders', basis: 'contract' }]);
    const details = JSON.stringify({ relationships: ['customer'], categories: Object.fromEntries(categories.map((c) => [c, 1])), import: newId(), line: 2 });
    const now = new Date().toISOString();
    const batch = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) {
        const id = newId();
        ins.subject.run(id, now, now, 'cli:bench');
        ins.key.run(id, randomBytes(60), now);
        ins.rel.run(id, now);
        for (const c of categories) {
          const rid = newId();
          ins.record.run(rid, id, c, purposes, randomBytes(c === 'addresses' ? 140 : 110), now, now, now);
          if (c === 'contact') {
            ins.index.run(rid, id, 'email', randomBytes(32).toString('hex'));
            ins.index.run(rid, id, 'phone', randomBytes(32).toString('hex'));
          }
        }
        ins.audit.run(now, id, details, randomBytes(32).toString('hex'), randomBytes(32).toString('hex'));
      }
    });
    const t0 = performance.now();
    for (let done = 0; done < people; done += 1000) batch(Math.min(1000, people - done));
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, perSec: people / seconds };
  } finally {
    db.close();
  }
}

/** CSV parsing alone, for reading the import figure: the floor the parser sets. */
export async function parseOnlyBench(target: BenchTarget, rows: number): Promise<number> {
  const file = path.join(target.dir, `contacts-${rows}.csv`);
  const t0 = performance.now();
  let n = 0;
  for await (const _ of readCsvRows(file)) n++;
  return n / ((performance.now() - t0) / 1000);
}

export interface MemoryResult {
  fileRows: number;
  rowsImported: number;
  seconds: number;
  capped: boolean;
  startRss: number;
  peakRss: number;
  endRss: number;
  /** RSS including the database pages mapped into memory. */
  totalRss: { start: number; peak: number; end: number };
  /** Heap in use after a full GC, at the first and the last sample: what the import holds on to. */
  retainedHeapStart: number;
  retainedHeapEnd: number;
  /** Rows imported when the first and last retained-heap samples were taken. */
  rowsAtFirstSample: number;
  rowsAtLastSample: number;
}

/**
 * Streams a CSV of `rows` people through the import, sampling RSS every 100 ms and, when the
 * process runs with --expose-gc, the heap left after a full collection every 2 s. Stops cleanly
 * (as an interrupted import would) after `maxSeconds`, so the default run stays short on a slow
 * machine; what matters is whether memory keeps rising with the rows read. Run it in a fresh
 * process (memory.child.ts) so nothing else shares the heap.
 */
/**
 * The process's own memory: RSS less the file pages it maps. SQLite reads its file through a
 * memory map, and the pages it touches count in RSS though they are the OS's file cache (shared,
 * reclaimable, growing with the database, not with the import). Linux only; RSS elsewhere.
 */
export function privateRss(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (name: string): number | undefined => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const anon = kib('RssAnon');
    const shmem = kib('RssShmem');
    if (anon !== undefined) return anon + (shmem ?? 0);
  } catch {
    // not Linux
  }
  return process.memoryUsage.rss();
}

export async function memoryBench(target: BenchTarget, rows: number, maxSeconds: number): Promise<MemoryResult> {
  const file = path.join(target.dir, `memory-${rows}.csv`);
  log(`  writing a ${rows.toLocaleString('en-GB')}-row CSV…`);
  await writePeopleCsv(file, rows);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const startRss = privateRss();
  const startTotalRss = process.memoryUsage.rss();
  let peakTotalRss = startTotalRss;
  let peakRss = startRss;
  let read = 0;
  const retained: Array<{ rows: number; heap: number }> = [{ rows: 0, heap: process.memoryUsage().heapUsed }];
  const t0 = performance.now();
  let lastGc = t0;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, privateRss());
    peakTotalRss = Math.max(peakTotalRss, process.memoryUsage.rss());
    if (gc && performance.now() - lastGc >= 2000) {
      lastGc = performance.now();
      gc();
      retained.push({ rows: read, heap: process.memoryUsage().heapUsed });
    }
  }, 100);
  let capped = false;
  async function* source(): AsyncGenerator<ImportRow> {
    for await (const r of readCsvRows(file)) {
      if (performance.now() - t0 > maxSeconds * 1000) {
        capped = true;
        return;
      }
      read++;
      yield r;
    }
  }
  log(`  importing it (at most ${maxSeconds} s), sampling memory…`);
  let imported = 0;
  try {
    imported = (await importSubjects(target.ctx, benchActor, source(), { relationship: 'customer' })).created;
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const endRss = privateRss();
  const endTotalRss = process.memoryUsage.rss();
  // The first sample after the import got going, not the empty heap before it.
  const first = retained[1] ?? retained[0]!;
  const last = retained[retained.length - 1]!;
  return {
    fileRows: rows,
    rowsImported: imported,
    seconds,
    capped,
    startRss,
    peakRss: Math.max(peakRss, endRss),
    endRss,
    totalRss: { start: startTotalRss, peak: Math.max(peakTotalRss, endTotalRss), end: endTotalRss },
    retainedHeapStart: first.heap,
    retainedHeapEnd: last.heap,
    rowsAtFirstSample: first.rows,
    rowsAtLastSample: last.rows,
  };
}
