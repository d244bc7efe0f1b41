/**
 * Issue 12, item 2: the audit chain anchored outside the database. A wiped log or a rolled-back
 * one leaves a consistent chain behind; the witness file and the mailed checkpoints reveal it.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { dialects } from '../../test/support/databases.js';
import { aPerson } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, REGISTER_POLICY, type TestRuntime } from '../../test/support/runtime.js';
import { Scheduler } from '../kernel/scheduler.js';
import { auditCheckpointJob, checkpointAnchor } from './audit.checkpoint.js';
import { attachAuditWitness, auditCount, verifyAudit } from './audit.service.js';
import { AuditWitness, witnessAnchors, WITNESS_FILE } from './audit.witness.js';
import { getSubject } from '../register/register.read.js';

const staff = actorWith('staff');

describe.each(dialects)('the audit witness and checkpoints on %s', (kind) => {
  let rt: TestRuntime;
  let witness: AuditWitness;
  let person = 0;
  const activity = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = await aPerson(rt, { email: `person.${String.fromCharCode(97 + (person++ % 26))}${i}@example.org` }, staff);
      await getSubject(rt, staff, s.id, 'service');
    }
    await witness.flush();
  };
  const headRow = async () => (await rt.database.db.selectFrom('key_state').select('value').where('name', '=', 'audit_head').executeTakeFirstOrThrow()).value;
  const verify = async () => verifyAudit(rt.database.db, rt.keyring, await witnessAnchors(witness));

  beforeEach(async () => {
    rt = await createTestRuntime(kind);
    witness = new AuditWitness(rt.dataDir, rt.keyring, rt.clock);
    attachAuditWitness(rt.database.db, witness);
    rt.witness = witness;
  });
  afterEach(async () => {
    await witness?.flush();
    await rt?.close();
  });

  it('follows every commit in a private file beside the key file', async () => {
    await activity(3);
    const file = path.join(rt.dataDir, WITNESS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const w = JSON.parse(readFileSync(file, 'utf8'));
    expect(w.count).toBe(await auditCount(rt.database.db));
    expect(w.count).toBe(6);
    expect(await verify()).toEqual({ ok: true, entries: 6 });
  });

  it('reports a wipe: the whole log and its head deleted', async () => {
    await activity(2);
    await rt.database.db.deleteFrom('audit_log').execute();
    await rt.database.db.deleteFrom('key_state').where('name', '=', 'audit_head').execute();
    // Without the anchor the empty log looks like a new install.
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: 0 });
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.problems!.map((p) => p.kind)).toEqual(['wiped']);
    expect(r.problem!.message).toMatch(/the audit log is empty, but the witness file .* records 4 entries/);
  });

  it('reports a rollback: recent entries deleted and an earlier head put back', async () => {
    await activity(2);
    const earlierHead = await headRow();
    const lastKept = Number((await rt.database.db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()).m);
    const checkpoint = await auditCheckpointJob(rt).run(new Date('2026-03-02T11:00:00Z'));
    expect(checkpoint).toMatch(/checkpoint at entry 4 mailed/);
    await activity(2);
    await rt.database.db.deleteFrom('audit_log').where('seq', '>', lastKept).execute();
    await rt.database.db.updateTable('key_state').set({ value: earlierHead }).where('name', '=', 'audit_head').execute();
    // The chain itself is consistent again: only the anchor can tell.
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: 4 });
    const r = await verify();
    expect(r.problems!.map((p) => [p.kind, p.seq])).toEqual([['rolled-back', lastKept]]);
    expect(r.problem!.message).toMatch(/records entry 8 of the chain, which the log no longer holds \(it holds 4\)/);
    // A checkpoint from before the rollback is still satisfied; a forged one is reported.
    // The outbox keeps the mail as sent: long lines in quoted-printable.
    const quotedPrintable = (s: string) => s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    const mailed = readdirSync(path.join(rt.dataDir, 'outbox')).map((f) => quotedPrintable(readFileSync(path.join(rt.dataDir, 'outbox', f), 'utf8')));
    expect(mailed).toHaveLength(1);
    const json = /^(\{"format":"steward-audit-checkpoint".*\})$/m.exec(mailed[0]!)![1]!;
    expect(mailed[0]).toMatch(/^To: privacy@/m);
    const good = checkpointAnchor(json, rt.keyring);
    expect((await verifyAudit(rt.database.db, rt.keyring, { anchors: [good.anchor!] })).ok).toBe(true);
    const forged = checkpointAnchor(json.replace('"count":4', '"count":9'), rt.keyring);
    expect(forged.problem).toMatchObject({ kind: 'anchor-invalid' });
  });

  it('reports an altered witness file', async () => {
    await activity(1);
    const file = path.join(rt.dataDir, WITNESS_FILE);
    const w = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...w, count: 1 }));
    const r = await verify();
    expect(r.problems!.map((p) => p.kind)).toEqual(['anchor-invalid']);
  });

  it('checkpoints once a day across instances, to the log and to the privacy contact', async () => {
    await activity(1);
    const lines: string[] = [];
    const logger = { info: (o: unknown) => lines.push(JSON.stringify(o)), error: () => undefined } as unknown as import('pino').Logger;
    const a = new Scheduler({ db: rt.database.db, clock: rt.clock, jobs: [auditCheckpointJob(rt, logger)] });
    const b = new Scheduler({ db: rt.database.db, clock: rt.clock, jobs: [auditCheckpointJob(rt, logger)] });
    const ran = [...(await Promise.all([a.runDue(), b.runDue()])).flat(), ...(await a.runDue()), ...(await b.runDue())];
    expect(ran).toEqual(['audit-checkpoint']);
    expect(lines.filter((l) => l.includes('steward-audit-checkpoint'))).toHaveLength(1);
    expect(readdirSync(path.join(rt.dataDir, 'outbox'))).toHaveLength(1);
  });
});

describe('audit verify at the console', () => {
  it('reports a wiped log as a wipe, with exit code 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-witness-cli-'));
    const base = ['--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data')];
    for (const u of ['ann', 'bob']) expect((await runCli([...base, 'users', 'create', '--username', u, '--role', 'staff'], { cwd: dir })).code).toBe(0);
    expect((await runCli([...base, 'audit', 'verify'], { cwd: dir })).code).toBe(0);
    const db = new SQLite(path.join(dir, 'data', 'steward.sqlite'));
    db.prepare('delete from audit_log').run();
    db.prepare("delete from key_state where name = 'audit_head'").run();
    db.close();
    const r = await runCli([...base, 'audit', 'verify', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, entries: 0, problems: [{ kind: 'wiped' }] });
  });
});
