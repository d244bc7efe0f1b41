/**
 * A restore rolls the audit chain back to the backup on purpose. The anchors kept outside the
 * database (the witness file, mailed checkpoints) still record the newer head, so without more
 * `audit verify` would call every legitimate restore a rollback. Restore therefore writes a new
 * witness and records the restore (with the head it replaced) in the chain itself, under the
 * chain's key; verify accepts an anchor older than a recorded restore when it lies beyond what
 * the backup held. A rollback made without a restore is still reported.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { checkpointAnchor, createCheckpoint } from '../audit/audit.checkpoint.js';
import { attachAuditWitness, auditCount, listAudit, verifyAudit } from '../audit/audit.service.js';
import { AuditWitness, witnessAnchors } from '../audit/audit.witness.js';
import { createSubject } from '../register/register.service.js';
import { getSubject } from '../register/register.read.js';
import { createBackup, restoreBackup } from './backup.service.js';
import { LEDGER_FILE } from './erasure-ledger.js';

const SLOW = { timeout: 180_000 };
const staff = actorWith('staff');
const operator = actorWith('owner', [], 'cli:operator');
const HOUR = 3_600_000;

describe.each(dialects)('restore and the audit anchors on %s', (kind) => {
  let rt: TestRuntime;
  let witness: AuditWitness;
  let n = 0;
  const activity = async (people: number) => {
    for (let i = 0; i < people; i++) {
      const s = await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: `anchor.${n++}@example.org` }] });
      await getSubject(rt, staff, s.id, 'service');
    }
    await witness.flush();
    rt.clock.advance(HOUR);
  };
  /** What `steward audit verify` does: the witness file in the data folder, plus any checkpoints. */
  const verify = async (checkpoints: string[] = []) => {
    const { anchors, anchorProblems } = await witnessAnchors(new AuditWitness(rt.dataDir, rt.keyring, rt.clock));
    for (const c of checkpoints) {
      const r = checkpointAnchor(c, rt.keyring);
      if (r.anchor) anchors.push(r.anchor);
      if (r.problem) anchorProblems.push(r.problem);
    }
    return verifyAudit(rt.database.db, rt.keyring, { anchors, anchorProblems });
  };
  const restore = (file: string) =>
    restoreBackup({
      file,
      database: rt.database,
      provider: rt.keyring.provider,
      config: rt.config,
      mailer: rt.mailer,
      policy: rt.policy,
      clock: rt.clock,
      actor: operator,
      erasureLedgerFile: path.join(rt.dataDir, LEDGER_FILE),
      witnessDir: rt.dataDir,
      force: true,
    });

  beforeEach(async () => {
    rt = await createTestRuntime(kind, { keyFile: true });
    rt.erasureLedgerFile = path.join(rt.dataDir, LEDGER_FILE);
    witness = new AuditWitness(rt.dataDir, rt.keyring, rt.clock);
    attachAuditWitness(rt.database.db, witness);
    rt.witness = witness;
  });
  afterEach(async () => {
    await witness?.flush();
    await rt?.close();
  });

  it('after a legitimate restore, verify passes with the witness and with checkpoints mailed before it, and the trail records the restore', SLOW, async () => {
    await activity(2);
    const early = JSON.stringify(await createCheckpoint(rt, rt.clock.now())); // the backup holds it
    const atBackup = await auditCount(rt.database.db);
    const file = path.join(rt.dataDir, 'before.backup');
    await createBackup(rt, operator, file); // its own entry comes after its snapshot
    rt.clock.advance(HOUR);
    await activity(3);
    const late = JSON.stringify(await createCheckpoint(rt, rt.clock.now())); // beyond the backup
    await witness.flush();
    const before = await verify([early, late]);
    expect(before).toEqual({ ok: true, entries: atBackup + 7 });

    rt.clock.advance(HOUR);
    const r = await restore(file);
    const after = await verify([early, late]);
    expect((after.problems ?? []).map((p) => p.message)).toEqual([]);
    expect(after.ok).toBe(true);
    expect(r.audit).toMatchObject({ restoredEntries: atBackup, supersededWitness: { count: atBackup + 7 } });
    expect(after.superseded).toHaveLength(1);
    expect(after.superseded![0]).toMatch(new RegExp(`checkpoint .* records entry ${atBackup + 7}, replaced by the restore`));

    const { entries } = await listAudit(rt.database.db, { action: 'backup.restore', limit: 5 });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.details).toMatchObject({ restoredEntries: atBackup, supersededWitness: { count: atBackup + 7 } });
    // Work carries on after the restore, and the witness follows it again.
    await activity(1);
    expect((await verify([early, late])).ok).toBe(true);
  });

  it('still reports a rollback made without a restore, before or after a legitimate one', SLOW, async () => {
    await activity(2);
    const file = path.join(rt.dataDir, 'b.backup');
    await createBackup(rt, operator, file);
    await activity(2);
    await restore(file);
    rt.clock.advance(HOUR);
    await activity(1);
    const headRow = async () => (await rt.database.db.selectFrom('key_state').select('value').where('name', '=', 'audit_head').executeTakeFirstOrThrow()).value;
    const earlier = await headRow();
    const lastKept = await auditCount(rt.database.db);
    const lastSeq = Number((await rt.database.db.selectFrom('audit_log').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirstOrThrow()).m);
    const mid = JSON.stringify(await createCheckpoint(rt, rt.clock.now()));
    await activity(2);
    // Cut the log back to before the newest entries and put the earlier head back: no restore.
    await rt.database.db.deleteFrom('audit_log').where('seq', '>', lastSeq).execute();
    await rt.database.db.updateTable('key_state').set({ value: earlier }).where('name', '=', 'audit_head').execute();
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: lastKept });
    const r = await verify([mid]);
    expect(r.ok).toBe(false);
    expect(r.problems!.map((p) => p.kind)).toEqual(['rolled-back']);

    // Rolled back to before the restore itself: its record is gone with it, so nothing excuses it.
    const restoreSeq = (await listAudit(rt.database.db, { action: 'backup.restore', limit: 1 })).entries[0]!.seq;
    const all = await rt.database.db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq').execute();
    const keep = all.filter((e) => Number(e.seq) < restoreSeq);
    await rt.database.db.deleteFrom('audit_log').where('seq', '>=', restoreSeq).execute();
    // A head for the shortened chain cannot be forged without the key: the head row goes too.
    await rt.database.db.deleteFrom('key_state').where('name', '=', 'audit_head').execute();
    const cut = await verify([mid]);
    expect(cut.ok).toBe(false);
    expect(cut.problems!.map((p) => p.kind)).toContain('rolled-back');
    expect(cut.entries).toBe(keep.length);
  });
});

describe('steward restore then steward audit verify (CLI)', () => {
  it('verifies OK after restoring an older backup over the same installation, and TAMPERED after a rollback without one', SLOW, async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const SQLite = (await import('better-sqlite3')).default;
    const { runCli } = await import('../../test/support/cli.js');
    const { REGISTER_POLICY } = await import('../../test/support/runtime.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-restore-anchor-'));
    try {
      const data = path.join(dir, 'data');
      const g = ['--policy', REGISTER_POLICY, '--data-dir', data];
      const cli = async (...args: string[]) => runCli([...g, ...args], { cwd: dir });
      expect((await cli('users', 'create', '--username', 'ann', '--role', 'staff')).code).toBe(0);
      const out = path.join(dir, 'a.backup');
      expect((await cli('backup', '--out', out)).code).toBe(0);
      for (const u of ['bob', 'cy']) expect((await cli('users', 'create', '--username', u, '--role', 'staff')).code).toBe(0);
      expect((await cli('audit', 'verify')).stdout).toMatch(/^OK/);
      const restored = await cli('restore', out, '--force');
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      const ok = await cli('audit', 'verify');
      expect(ok.stdout).toMatch(/^OK/);
      expect(ok.code).toBe(0);

      // Now the same shape of change made directly in the database: newest entries cut, an
      // earlier head put back. No restore recorded it, so it is a rollback.
      expect((await cli('users', 'create', '--username', 'dee', '--role', 'staff')).code).toBe(0);
      const db = new SQLite(path.join(data, 'steward.sqlite'));
      const head = (db.prepare("select value from key_state where name = 'audit_head'").get() as { value: string }).value;
      const last = (db.prepare('select max(seq) as m from audit_log').get() as { m: number }).m;
      db.close();
      expect((await cli('users', 'create', '--username', 'eve', '--role', 'staff')).code).toBe(0);
      const db2 = new SQLite(path.join(data, 'steward.sqlite'));
      db2.prepare('delete from audit_log where seq > ?').run(last);
      db2.prepare("update key_state set value = ? where name = 'audit_head'").run(head);
      db2.close();
      const bad = await cli('audit', 'verify', '--json');
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, problems: [{ kind: 'rolled-back' }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
