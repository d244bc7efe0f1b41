/**
 * `steward backup` / `steward restore` and key-encryption-key epochs: a backup is consistent and
 * sealed under the current epoch; a restore never brings back a person erased since the backup;
 * once the epoch is retired (after the backup retention), old backups and old copies of the
 * database cannot be read with the current key file.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { createTestDatabase, dialects, postgresUrl, type TestDatabase } from '../../test/support/databases.js';
import { caught } from '../../test/support/errors.js';
import { actorWith, createTestRuntime, REGISTER_POLICY, type TestRuntime } from '../../test/support/runtime.js';
import { verifyAudit } from '../audit/audit.service.js';
import { fileKekProvider, readKeyFileVersions } from '../crypto/kek.js';
import { openDatabase } from '../db/database.js';
import { Keyring } from '../crypto/keyring.js';
import { createSubject, deleteRecord, eraseSubject } from '../register/register.service.js';
import { findSubjects, getSubject } from '../register/register.read.js';
import { createBackup, restoreBackup, type RestoreOptions } from './backup.service.js';
import { LEDGER_FILE } from './erasure-ledger.js';
import type { AppContext } from '../kernel/context.js';

// Each restore builds a database's schema twice (up to the backup's migrations, then the rest):
// seconds on a busy machine, more on PostgreSQL.
const SLOW = { timeout: 180_000 };

const dpo = actorWith('dpo');
const operator = actorWith('owner', [], 'cli:operator');

const person = (name: string, email: string) => ({
  relationships: [{ relationship: 'customer' }],
  records: [
    { category: 'name', value: name },
    { category: 'email-address', value: email },
  ],
});

async function setup(kind: 'sqlite' | 'postgres'): Promise<TestRuntime> {
  const rt = await createTestRuntime(kind, { keyFile: true });
  rt.erasureLedgerFile = path.join(rt.dataDir, LEDGER_FILE);
  return rt;
}

const restoreInto = (rt: TestRuntime, file: string, database: TestDatabase, extra: Partial<RestoreOptions> = {}) =>
  restoreBackup({ file, database, provider: rt.keyring.provider, config: rt.config, mailer: rt.mailer, policy: rt.policy, clock: rt.clock, actor: operator, erasureLedgerFile: rt.erasureLedgerFile!, ...extra });

async function contextOver(rt: TestRuntime, database: TestDatabase): Promise<AppContext> {
  return { config: rt.config, mailer: rt.mailer, database, keyring: await Keyring.open(database.db, rt.keyring.provider), policy: rt.policy, clock: rt.clock, erasureLedgerFile: rt.erasureLedgerFile };
}

const count = async (database: TestDatabase, table: 'subjects' | 'audit_log') =>
  Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe.each(dialects)('backup and restore on %s', (kind) => {
  let rt: TestRuntime;
  let dir: string;
  const targets: TestDatabase[] = [];
  const target = async (k: 'sqlite' | 'postgres' = kind) => {
    const t = await createTestDatabase(k);
    targets.push(t);
    return t;
  };
  beforeAll(async () => {
    rt = await setup(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'steward-backup-'));
  });
  afterAll(async () => {
    for (const t of targets) await t.dispose();
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let ada: string;
  let bob: string;
  let cy: { id: string; records: string[] };
  let file: string;

  it('writes a private, encrypted backup that names its key epoch and holds no readable personal data', SLOW, async () => {
    ada = (await createSubject(rt, dpo, person('Ada Backup', 'ada.backup@example.org'))).id;
    bob = (await createSubject(rt, dpo, person('Bob Backup', 'bob.backup@example.org'))).id;
    const c = await createSubject(rt, dpo, person('Cy Backup', 'cy.backup@example.org'));
    cy = { id: c.id, records: c.records.map((r) => r.id) };
    file = path.join(dir, 'one.backup');
    const lines: string[] = [];
    const r = await createBackup(rt, operator, file, { onProgress: (m) => lines.push(m) });
    expect(r.epoch).toBe(rt.keyring.kekVersion);
    expect(r.tables.find((t) => t.name === 'subjects')!.rows).toBe(3);
    expect(lines.some((l) => l.startsWith('subjects: 3 rows'))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString()).toBe('STWDBAK1');
    for (const s of ['Ada Backup', 'ada.backup', ada]) expect(bytes.includes(Buffer.from(s))).toBe(false);
  });

  it('restores into an empty database, then re-applies the erasures made since: the erased person does not come back', SLOW, async () => {
    await eraseSubject(rt, dpo, ada);
    await deleteRecord(rt, dpo, cy.records[0]!);
    const t = await target();
    const r = await restoreInto(rt, file, t);
    expect(r.reapplied).toMatchObject({ subjects: 1, records: 1 });
    const ctx = await contextOver(rt, t);
    expect((await getSubject(ctx, dpo, bob)).records.map((x) => x.value)).toEqual(['Bob Backup', 'bob.backup@example.org']);
    const back = await getSubject(ctx, dpo, ada);
    expect(back.erasedAt).not.toBeNull();
    expect(back.records).toEqual([]);
    expect(await findSubjects(ctx, dpo, { email: 'ada.backup@example.org' })).toEqual([]);
    const key = await t.db.selectFrom('subject_keys').select('wrapped_key').where('subject_id', '=', ada).executeTakeFirstOrThrow();
    expect(key.wrapped_key).toBeNull();
    expect((await getSubject(ctx, dpo, cy.id)).records.map((x) => x.value)).toEqual(['cy.backup@example.org']);
    expect((await verifyAudit(t.db, ctx.keyring)).ok).toBe(true);
    const restored = await t.db.selectFrom('audit_log').select('action').where('action', 'like', 'backup.restore%').execute();
    expect(restored.map((x) => x.action).sort()).toEqual(['backup.restore', 'backup.restore.records']);
    // The restored ledger holds the entries made after the backup too.
    const ledger = await t.db.selectFrom('erasure_ledger').select(['target_id', 'reason']).execute();
    expect(ledger).toEqual(expect.arrayContaining([{ target_id: ada, reason: 'register-delete' }, { target_id: cy.records[0]!, reason: 'record-delete' }]));

    // New rows after a restore get fresh numbers (sequences moved past the loaded ids).
    await createSubject(ctx, dpo, person('Dee After', 'dee.after@example.org'));
    expect((await verifyAudit(t.db, ctx.keyring)).ok).toBe(true);
  });

  it('refuses to overwrite a database that holds data, unless forced', SLOW, async () => {
    const t = await target();
    await restoreInto(rt, file, t);
    const e = await caught(restoreInto(rt, file, t));
    expect(e.code).toBe('RESTORE_TARGET_NOT_EMPTY');
    const r = await restoreInto(rt, file, t, { force: true });
    expect(r.reapplied.subjects).toBe(1);
    expect(await count(t, 'subjects')).toBe(3);
    expect((await t.db.selectFrom('subjects').select('erased_at').where('id', '=', ada).executeTakeFirstOrThrow()).erased_at).not.toBeNull();
  });

  it('says what is wrong with a backup it cannot open, and loads nothing from it', SLOW, async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'steward-otherkey-'));
    const t = await target();
    try {
      const otherKeys = fileKekProvider(path.join(other, 'steward.key'));
      expect((await caught(restoreInto(rt, file, t, { provider: otherKeys }))).code).toBe('BACKUP_WRONG_KEY');
      const bytes = readFileSync(file);
      const flipped = Buffer.from(bytes);
      flipped[bytes.length - 40] = flipped[bytes.length - 40]! ^ 0x01;
      writeFileSync(path.join(dir, 'flipped.backup'), flipped);
      expect((await caught(restoreInto(rt, path.join(dir, 'flipped.backup'), t))).code).toBe('BACKUP_CORRUPT');
      writeFileSync(path.join(dir, 'cut.backup'), bytes.subarray(0, bytes.length - 30));
      expect((await caught(restoreInto(rt, path.join(dir, 'cut.backup'), t))).code).toBe('BACKUP_TRUNCATED');
      writeFileSync(path.join(dir, 'short.backup'), bytes.subarray(0, 20));
      expect((await caught(restoreInto(rt, path.join(dir, 'short.backup'), t))).code).toBe('BACKUP_TRUNCATED');
      writeFileSync(path.join(dir, 'text.backup'), 'name,email\nAda,ada@example.org\n');
      expect((await caught(restoreInto(rt, path.join(dir, 'text.backup'), t))).code).toBe('BACKUP_CORRUPT');
      expect((await caught(restoreInto(rt, path.join(dir, 'absent.backup'), t))).code).toBe('CONFIG_INVALID');
      // A file that failed half-way loaded nothing: the target is still empty and restorable.
      expect(await count(t, 'subjects')).toBe(0);
      await restoreInto(rt, file, t);
      expect(await count(t, 'subjects')).toBe(3);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('is consistent while writers carry on: every table from one snapshot', SLOW, async () => {
    const writes = Promise.all(Array.from({ length: 8 }, (_, i) => createSubject(rt, dpo, person(`Busy ${i}`, `busy${i}@example.org`))));
    const b = await createBackup(rt, operator, path.join(dir, 'busy.backup'));
    await writes;
    const t = await target();
    await restoreInto(rt, path.join(dir, 'busy.backup'), t);
    const ctx = await contextOver(rt, t);
    // The audit chain (entries and head) is intact only if both came from the same moment.
    expect((await verifyAudit(t.db, ctx.keyring)).ok).toBe(true);
    expect(await count(t, 'subjects')).toBe(b.tables.find((x) => x.name === 'subjects')!.rows);
  });

  if (kind === 'sqlite' && postgresUrl) {
    it('restores a SQLite backup into PostgreSQL', SLOW, async () => {
      const t = await target('postgres');
      const r = await restoreInto(rt, file, t);
      expect(r.source).toBe('sqlite');
      const ctx = await contextOver(rt, t);
      expect((await getSubject(ctx, dpo, bob)).records.map((x) => x.value)).toEqual(['Bob Backup', 'bob.backup@example.org']);
      expect((await getSubject(ctx, dpo, ada)).records).toEqual([]);
      expect((await verifyAudit(t.db, ctx.keyring)).ok).toBe(true);
    });
  }
});

describe.each(dialects)('key-encryption-key epochs on %s', (kind) => {
  let rt: TestRuntime;
  let dir: string;
  const targets: TestDatabase[] = [];
  beforeAll(async () => {
    rt = await setup(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'steward-epochs-'));
  });
  afterAll(async () => {
    for (const t of targets) await t.dispose();
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a backup and a copy taken before an erasure cannot show the erased person once their epoch is retired', SLOW, async () => {
    const keyFile = path.join(rt.dataDir, 'steward.key');
    rt.clock.set('2026-03-02T10:00:00Z');
    const eve = (await createSubject(rt, dpo, person('Eve Epoch', 'eve.epoch@example.org'))).id;
    const old = await createBackup(rt, operator, path.join(dir, 'before.backup'));
    expect(old.epoch).toBe(1);
    let copy: string | undefined;
    if (kind === 'sqlite') {
      copy = path.join(dir, 'copy.sqlite');
      await sql`vacuum into ${copy}`.execute(rt.database.db);
      // Steward opens only private database files (0600).
      chmodSync(copy, 0o600);
    }
    await eraseSubject(rt, dpo, eve);

    // Within the retention: the old backup restores, without Eve.
    rt.clock.set('2026-03-03T10:00:00Z');
    const rotated = await rt.keyring.rotate(rt.database.db);
    expect(rotated.version).toBe(2);
    const early = await rt.keyring.retireEpochs(rt.database.db, new Date('2026-04-01T00:00:00Z'), 35);
    expect(early.retired).toEqual([]);
    expect(early.kept.map((k) => k.version)).toEqual([1]);
    const t = await createTestDatabase(kind);
    targets.push(t);
    await restoreInto(rt, path.join(dir, 'before.backup'), t);
    expect((await getSubject(await contextOver(rt, t), dpo, eve)).records).toEqual([]);

    // After it: version 1 is gone from the key file, and with it every way into the old copies.
    const late = await rt.keyring.retireEpochs(rt.database.db, new Date(Date.now() + 36 * 86_400_000), 35);
    expect(late.retired).toEqual([1]);
    expect((await readKeyFileVersions(keyFile)).versions).toEqual([2]);
    const t2 = await createTestDatabase(kind);
    targets.push(t2);
    expect((await caught(restoreInto(rt, path.join(dir, 'before.backup'), t2))).code).toBe('BACKUP_KEY_RETIRED');
    if (copy) {
      const stale = await openDatabase(`sqlite:${copy}`, { migrate: false });
      try {
        const row = await stale.db.selectFrom('subject_keys').select('wrapped_key').where('subject_id', '=', eve).executeTakeFirstOrThrow();
        expect(row.wrapped_key).not.toBeNull();
        const current = fileKekProvider(keyFile);
        expect((await caught(Keyring.open(stale.db, current))).code).toBe('CONFIG_INVALID');
        expect((await caught(current.get(1))).code).toBe('CONFIG_INVALID');
      } finally {
        await stale.close();
      }
    }
    // The current data is untouched by retirement.
    expect((await getSubject(rt, dpo, (await createSubject(rt, dpo, person('Fay Later', 'fay@example.org'))).id)).records).toHaveLength(2);
  });

  it('never retires an epoch that still wraps a live key', SLOW, async () => {
    const provider = rt.keyring.provider;
    // A rotation interrupted before re-wrapping: version 3 exists, keys are still under 2.
    await provider.rotate!();
    const r = await rt.keyring.retireEpochs(rt.database.db, new Date(Date.now() + 400 * 86_400_000), 35);
    expect(r.retired).toEqual([]);
    expect(r.kept).toEqual([{ version: 2, why: expect.stringMatching(/live keys are still wrapped under it/) }]);
    await rt.keyring.rewrapAll(rt.database.db);
  });
});

describe('steward backup and restore (CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-backup-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up, refuses a non-empty target, restores into a fresh data folder with the same keys, and reports bad files with a stable code', SLOW, async () => {
    const src = path.join(dir, 'a');
    const g = (d: string) => ['--policy', REGISTER_POLICY, '--data-dir', d];
    const made = await runCli([...g(src), 'users', 'list'], { cwd: dir });
    expect(made.code).toBe(0);
    const out = path.join(dir, 'b.backup');
    const b = await runCli([...g(src), 'backup', '--out', out], { cwd: dir });
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/backup written to .*b\.backup: \d+ rows in \d+ tables, sealed under key epoch 1/);
    expect((await runCli([...g(src), 'restore', out], { cwd: dir })).stderr).toContain('error [RESTORE_TARGET_NOT_EMPTY]');

    const dst = path.join(dir, 'c');
    await runCli([...g(dst), 'policy', 'check'], { cwd: dir });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dst, { recursive: true, mode: 0o700 });
    copyFileSync(path.join(src, 'steward.key'), path.join(dst, 'steward.key'));
    const r = await runCli([...g(dst), 'restore', out, '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ epoch: 1, source: 'sqlite', reapplied: { subjects: 0, records: 0 } });
    expect((await runCli([...g(dst), 'audit', 'verify'], { cwd: dir })).stdout).toMatch(/^OK/);

    writeFileSync(path.join(dir, 'cut.backup'), readFileSync(out).subarray(0, 100));
    const bad = await runCli([...g(path.join(dir, 'd')), 'restore', path.join(dir, 'cut.backup')], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error \[BACKUP_(TRUNCATED|WRONG_KEY)\]/);
  });
});
