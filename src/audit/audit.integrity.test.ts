/**
 * Issue 12: the audit chain reports every problem (not only the first), no text can poison an
 * entry's MAC, and the CLI refuses text no database stores alike.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { dialects } from '../../test/support/databases.js';
import { customersByEmail } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, REGISTER_POLICY, type TestRuntime } from '../../test/support/runtime.js';
import { appendAudit, verifyAudit } from './audit.service.js';

const staff = actorWith('staff');

describe.each(dialects)('audit verification finds every problem (%s)', (kind) => {
  let rt: TestRuntime;
  let seqs: number[];
  beforeEach(async () => {
    rt = await createTestRuntime(kind);
    await customersByEmail(rt, 4, { thenRead: true });
    seqs = (await rt.database.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    expect(seqs).toHaveLength(8);
  });
  afterEach(async () => rt.close());

  it('reports an alteration, a removal and a cut end together, not only the first', async () => {
    await rt.database.db.updateTable('audit_log').set({ purpose: 'marketing' }).where('seq', '=', seqs[1]!).execute();
    await rt.database.db.deleteFrom('audit_log').where('seq', '=', seqs[4]!).execute();
    await rt.database.db.updateTable('audit_log').set({ actor: 'someone-else' }).where('seq', '=', seqs[6]!).execute();
    await rt.database.db.deleteFrom('audit_log').where('seq', '=', seqs[7]!).execute();
    const r = await verifyAudit(rt.database.db, rt.keyring);
    expect(r.ok).toBe(false);
    expect(r.entries).toBe(6);
    expect(r.problems!.map((p) => [p.kind, p.seq])).toEqual([
      ['altered', seqs[1]],
      ['removed', seqs[5]],
      ['altered', seqs[6]],
      ['truncated', seqs[6]],
    ]);
    expect(r.problem).toEqual(r.problems![0]);
  });

  it('refuses an entry holding a NUL or an unpaired surrogate, so the chain stays verifiable', async () => {
    for (const purpose of ['\ud800', 'a\u0000b', '\udfff']) {
      await expect(
        rt.database.db.transaction().execute(async (trx) => {
          await rt.database.adapter.lockForWrite(trx);
          await appendAudit(trx, rt, staff, [{ action: 'subject.search', purpose }]);
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    // A surrogate pair is fine and verifies after the round trip through the database.
    await rt.database.db.transaction().execute(async (trx) => {
      await rt.database.adapter.lockForWrite(trx);
      await appendAudit(trx, rt, staff, [{ action: 'subject.search', purpose: 'support \u{1F600}' }]);
    });
    expect(await verifyAudit(rt.database.db, rt.keyring)).toEqual({ ok: true, entries: 9 });
  });
});

describe('the CLI and bad text', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-cli-text-'));
  });

  it('refuses NUL characters and unpaired surrogates in arguments, options and input files, and rejects such CSV rows', async () => {
    const base = ['--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data')];
    for (const username of ['a\u0000b', '\ud800', 'x\udc00']) {
      const r = await runCli([...base, 'users', 'create', '--username', username, '--role', 'staff'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/VALIDATION_FAILED.*options\.username.*NUL character or an unpaired UTF-16 surrogate/);
    }
    const arg = await runCli([...base, 'subjects', 'show', '\ud800'], { cwd: dir });
    expect(arg.code).toBe(1);
    expect(arg.stderr).toMatch(/VALIDATION_FAILED.*arguments\.0/);
    const users = await runCli([...base, 'users', 'list', '--json'], { cwd: dir });
    expect(users.code).toBe(0);
    expect(users.stdout).not.toMatch(/\\u0000|\\ud800|\\udc00/);

    writeFileSync(path.join(dir, 'people.csv'), 'email-address\nok@example.org\n"bad\u0000@example.org"\nfine@example.org\n');
    const imported = await runCli([...base, 'subjects', 'import', 'people.csv', '--relationship', 'customer', '--json'], { cwd: dir });
    const summary = JSON.parse(imported.stdout);
    expect(summary).toMatchObject({ created: 2, rejected: 1, rejections: [{ line: 3, code: 'VALIDATION_FAILED' }] });
    expect(JSON.stringify(summary)).toMatch(/NUL character or an unpaired UTF-16 surrogate/);

    writeFileSync(path.join(dir, 'list.txt'), 'a@example.org\nb\u0000@example.org\n');
    const check = await runCli([...base, 'marketing', 'check', 'list.txt', '--channel', 'email', '--purpose', 'service'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/VALIDATION_FAILED.*list\.txt/);
  });

  it('audit verify lists every problem, as text and JSON, with exit code 1', async () => {
    const base = ['--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data')];
    for (const u of ['ann', 'bob', 'cat', 'dan']) expect((await runCli([...base, 'users', 'create', '--username', u, '--role', 'staff'], { cwd: dir })).code).toBe(0);
    const db = new SQLite(path.join(dir, 'data', 'steward.sqlite'));
    db.prepare("update audit_log set actor = 'someone-else' where seq = 1").run();
    db.prepare("update audit_log set action = 'user.read' where seq = 3").run();
    db.close();
    const json = await runCli([...base, 'audit', 'verify', '--json'], { cwd: dir });
    expect(json.code).toBe(1);
    const r = JSON.parse(json.stdout);
    expect(r.problems.map((p: { kind: string; seq: number }) => [p.kind, p.seq])).toEqual([
      ['altered', 1],
      ['altered', 3],
    ]);
    const text = await runCli([...base, 'audit', 'verify'], { cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^TAMPERED: 2 problems in 4 entries\n {2}\[altered\] entry 1 has been altered\n {2}\[altered\] entry 3 has been altered\n$/);
  });
});
