import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { loadConfig } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { createSubject } from '../register/register.service.js';
import { openRuntime, type Runtime } from '../kernel/runtime.js';
import { runCli } from '../../test/support/cli.js';
import { dialects, postgresUrl } from '../../test/support/databases.js';
import { actorWith } from '../../test/support/runtime.js';
import { addLifeEvent } from './events.service.js';
import { RETENTION_LOCK } from './retention.run.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const POLICY = path.join(ROOT, 'test/fixtures/retention/policy.yaml');
const BIN = path.join(ROOT, 'bin/steward.js');

/** A database for the suite and the --db arguments that reach it (a fresh schema on PostgreSQL). */
async function suiteDatabase(kind: 'sqlite' | 'postgres', dataDir: string): Promise<{ args: string[]; dispose(): Promise<void> }> {
  if (kind === 'sqlite') return { args: ['--db', `sqlite:${path.join(dataDir, 'steward.sqlite')}`], dispose: async () => undefined };
  const schema = `ret_${randomBytes(6).toString('hex')}`;
  const admin: Database = await openDatabase(postgresUrl!, { schema, poolSize: 1, migrate: false });
  const url = `${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    args: ['--db', url],
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}

describe.each(dialects)('steward events, holds and retention on %s', (kind) => {
  let dir: string;
  let db: Awaited<ReturnType<typeof suiteDatabase>>;
  let rt: Runtime;
  const ids: string[] = [];
  const globals = () => ['--data-dir', 'data', '--policy', POLICY, ...db.args];
  const cli = (...args: string[]) => runCli([...globals(), ...args], { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-retention-cli-'));
    db = await suiteDatabase(kind, path.join(dir, 'data'));
    // First command: migrates the database and creates the key file.
    expect((await cli('holds', 'list')).stdout).toBe('no holds\n');
    rt = await openRuntime(loadConfig({ dataDir: 'data', policy: POLICY, db: db.args[1] }, {}, dir));
    for (let i = 0; i < 12; i++) {
      const s = await createSubject(rt, actorWith('staff'), {
        relationships: [{ relationship: 'customer' }],
        records: [
          { category: 'name', value: `Cli Person${i}`, purposes: ['service'] },
          { category: 'email-address', value: `cli${i}@example.org`, purposes: ['service'] },
        ],
      });
      ids.push(s.id);
      if (i > 0) await addLifeEvent(rt, actorWith('dpo'), { subjectId: s.id, type: 'account-closed', date: '2015-06-30' });
    }
  });
  afterAll(async () => {
    await rt?.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records events from the console, with clear errors for bad input', async () => {
    const ok = await cli('events', 'add', '--subject', ids[0]!, '--type', 'account-closed', '--date', '2015-06-30', '--relationship', 'customer');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^recorded account-closed on 2015-06-30 for subject ${ids[0]} \\(customer\\): event `));
    const listed = await cli('events', 'list', '--subject', ids[0]!, '--json');
    expect(JSON.parse(listed.stdout).events).toEqual([expect.objectContaining({ type: 'account-closed', origin: 'cli', recordedBy: expect.stringMatching(/^os:/) })]);
    const bad = await cli('events', 'add', '--subject', ids[0]!, '--type', 'exploded', '--date', '2015-06-30');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error \[VALIDATION_FAILED\]: type: "exploded" is not an event type/);
    expect((await cli('events', 'add', '--subject', 'nobody', '--type', 'enquiry', '--date', '2015-06-30')).stderr).toMatch(/\[NOT_FOUND\]/);
    expect((await cli('events', 'add', '--subject', ids[0]!, '--type', 'enquiry')).code).toBe(2);
  });

  it('prints the plan in words and as JSON, explains one subject, and compares another declaration', async () => {
    const text = await cli('retention', 'plan');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Retention plan for Retention Test Ltd as of');
    expect(text.stdout).toContain('due: 24 to delete, 0 to anonymise (12 people erased entirely, their keys destroyed)');
    expect(text.stdout).toMatch(/six-years-after-account\s+delete\s+24/);
    expect(text.stdout).not.toMatch(/Cli Person|@example\.org/);
    const plan = JSON.parse((await cli('retention', 'plan', '--json', '--detail', '3')).stdout);
    expect(plan.totals).toMatchObject({ records: 24, due: 24, subjectsErased: 12 });
    expect(plan.items).toHaveLength(3);
    expect(plan.itemsOmitted).toBe(21);
    const past = JSON.parse((await cli('retention', 'plan', '--json', '--as-of', '2021-06-29')).stdout);
    expect(past.totals.due).toBe(0);
    expect((await cli('retention', 'plan', '--subject', ids[1]!)).stdout).toMatch(/name: due: service \(rule six-years-after-account\): deleted on 2021-06-30, 6 years after account-closed on 2015-06-30/);

    const changed = path.join(dir, 'longer.yaml');
    writeFileSync(changed, readFileSync(POLICY, 'utf8').replace('    duration: 6 years\n    trigger: account-closed\n  - id: seven', '    duration: 20 years\n    trigger: account-closed\n  - id: seven'));
    const cmp = await cli('retention', 'plan', '--compare', 'longer.yaml');
    expect(cmp.stdout).toContain('If longer.yaml replaced the current declaration');
    expect(cmp.stdout).toContain('0 records would become due now, 24 would no longer be due');
    expect(cmp.stdout).toContain('24: due (six-years-after-account) → scheduled (six-years-after-account)');

    const bad = await cli('retention', 'plan', '--as-of', '2026-02-30');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--as-of: "2026-02-30" is not a real date');
    expect((await cli('retention', 'plan', '--detail', 'lots')).stderr).toContain('--detail: a whole number');
    expect((await cli('retention', 'plan', '--compare', 'missing.yaml')).code).toBe(2);
  });

  it('runs once when two processes race for the lock; holds keep data until released', async () => {
    const hold = await cli('holds', 'add', '--subject', ids[3]!, '--reason', 'Claim 2026/1', '--review', '2099-01-01', '--json');
    expect(hold.code).toBe(0);
    const holdId = JSON.parse(hold.stdout).id as string;
    expect((await cli('holds', 'list')).stdout).toContain(`${holdId}  subject ${ids[3]}  review 2099-01-01\n    reason: Claim 2026/1`);
    expect((await cli('holds', 'add', '--reason', 'x', '--review', '2099-01-01')).stderr).toContain('say what the hold covers');

    // Two separate processes, as two `steward` instances would be, started together.
    const args = [BIN, ...globals(), 'retention', 'run', '--json'];
    const [a, b] = await Promise.all([run(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH } }), run(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH } })]);
    const ra = JSON.parse(a.stdout);
    const rb = JSON.parse(b.stdout);
    expect(ra.deleted + rb.deleted).toBe(22);
    expect(ra.subjectsErased + rb.subjectsErased).toBe(11);
    const check = await openDatabase(db.args[1]!, { migrate: false, poolSize: 1 });
    try {
      const perSubject = await check.db.selectFrom('audit_log').select('subject_id').where('action', '=', 'retention.subject').execute();
      expect(perSubject).toHaveLength(11);
      expect(new Set(perSubject.map((r) => r.subject_id)).size).toBe(11);
      expect((await verifyAudit(check.db, rt.keyring)).ok).toBe(true);
    } finally {
      await check.close();
    }

    const again = await cli('retention', 'run');
    expect(again.stdout).toContain('deleted 0 records, anonymised 0 records');
    expect(again.stdout).toContain('kept although due: 2 under legal hold');
    expect((await cli('holds', 'release', holdId, '--reason', 'settled')).stdout).toBe(`released hold ${holdId} (subject ${ids[3]})\n`);
    const last = await cli('retention', 'run');
    expect(last.stdout).toContain('deleted 2 records, anonymised 0 records; 1 person erased (keys destroyed)');
    expect(last.stdout).toContain('six-years-after-account: deleted 2 records of 1 person');
    expect((await cli('retention', 'run', '--as-of', '2099-01-01')).stderr).toMatch(/is in the future/);
    expect((await cli('retention', 'run', '--as-of', '2999-01-01')).stderr).toMatch(/outside 1900-01-01 to 2199-12-31/);
  });

  it('lists and decides reviews from the console', async () => {
    const c = await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'contact' }], records: [{ category: 'name', value: 'Cli Contact', purposes: ['contacts'], collectedAt: '2020-01-01' }] });
    const due = await cli('retention', 'reviews');
    expect(due.stdout).toContain(`Reviews due as of`);
    expect(due.stdout).toContain(`2023-01-01  ${c.id}  contacts-review  1 record`);
    expect((await cli('retention', 'review', c.id, '--rule', 'contacts-review', '--keep', '--delete', '--reason', 'x')).code).toBe(2);
    const kept = await cli('retention', 'review', c.id, '--rule', 'contacts-review', '--keep', '--reason', 'Still relevant', '--next', '2099-01-01');
    expect(kept.stdout).toBe(`kept subject ${c.id} under contacts-review; next review 2099-01-01\n`);
    const del = await cli('retention', 'review', c.id, '--rule', 'contacts-review', '--delete', '--reason', 'Gone');
    expect(del.stdout).toBe(`deleted 1 record of subject ${c.id} under contacts-review; no record left: key destroyed\n`);
    expect(JSON.parse((await cli('retention', 'reviews', '--json')).stdout)).toMatchObject({ due: 0, reviews: [] });
  });

  it('another instance holding the retention lock makes a run skip (PostgreSQL) or wait its turn (SQLite)', async () => {
    if (kind === 'postgres') {
      const holder = await openDatabase(db.args[1]!, { migrate: false, poolSize: 2 });
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holding = holder.adapter.withJobLock(holder.db, RETENTION_LOCK, async () => {
        locked();
        await released;
      });
      try {
        await isLocked;
        const r = await cli('retention', 'run', '--json');
        expect(JSON.parse(r.stdout)).toMatchObject({ acquired: false, complete: false, deleted: 0 });
        expect((await cli('retention', 'run')).stdout).toBe('skipped: another instance is running retention (it holds the retention lock)\n');
      } finally {
        release();
        await holding;
        await holder.close();
      }
      expect(JSON.parse((await cli('retention', 'run', '--json')).stdout)).toMatchObject({ acquired: true, complete: true });
      return;
    }
    // SQLite has one writer at a time: another process holding the write lock makes the run wait
    // (busy timeout) and then go ahead, never run alongside. better-sqlite3 blocks its thread while
    // it waits, so the lock is held by a separate process.
    const file = db.args[1]!.slice('sqlite:'.length);
    const script = `const D=require('better-sqlite3');const db=new D(${JSON.stringify(file)});db.pragma('busy_timeout=5000');db.exec('BEGIN IMMEDIATE');process.stdout.write('locked\\n');setTimeout(()=>{db.exec('COMMIT');db.close();},1500);`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
    const t0 = Date.now();
    const r = await cli('retention', 'run', '--json');
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect(JSON.parse(r.stdout)).toMatchObject({ acquired: true, complete: true });
    expect(await exited).toBe(0);
  });
});
