/**
 * Erasure reaches what lies outside the register's own rows: the erasure ledger (in the same
 * transaction, mirrored to a private file), the person's access packs, and SQLite's WAL.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { createSubject, deleteRecord, eraseSubject } from '../register/register.service.js';
import { fulfilRequest } from '../requests/requests.fulfil.js';
import { downloadPack } from '../requests/requests.pack-links.js';
import { confirmMatch, matchRequest, openRequest, verifyRequest } from '../requests/requests.service.js';
import { LEDGER_FILE, readLedgerFile } from './erasure-ledger.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const dpo = actorWith('dpo');
const staff = actorWith('staff');

describe.each(dialects)('erasure beyond the register on %s', (kind) => {
  let rt: TestRuntime;
  let ledgerFile: string;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY, keyFile: true });
    ledgerFile = path.join(rt.dataDir, LEDGER_FILE);
    rt.erasureLedgerFile = ledgerFile;
    rt.clock.set('2026-03-02T10:00:00Z');
  });
  afterAll(async () => rt?.close());

  let n = 0;
  async function customer(opts: { orders?: boolean } = {}) {
    n++;
    const email = `ledger${n}@example.com`;
    const s = await createSubject(rt, dpo, {
      relationships: [{ relationship: 'customer' }],
      records: [
        { category: 'name', value: `Ledger Person ${n}` },
        { category: 'email-address', value: email },
        ...(opts.orders === false ? [] : [{ category: 'orders', value: 'Order 7: printer' }]),
      ],
    });
    return { id: s.id, email, records: s.records };
  }

  async function fulfilled(type: 'access' | 'erasure', email: string) {
    const opened = await openRequest(rt, staff, { type, channel: 'email', receivedOn: '2026-03-02', requester: { name: 'A Person', email } });
    await verifyRequest(rt, dpo, opened.reference, { evidence: ['passport', 'utility-bill'], receivedOn: '2026-03-02' });
    const { candidates } = await matchRequest(rt, dpo, opened.reference);
    await confirmMatch(rt, dpo, opened.reference, candidates[0]!.id);
    return fulfilRequest(rt, dpo, opened.reference);
  }

  const ledger = (target: string) => rt.database.db.selectFrom('erasure_ledger').selectAll().where('target_id', '=', target).execute();

  it('erasing a person empties their access pack: its link stops working', async () => {
    const c = await customer();
    const done = await fulfilled('access', c.email);
    const token = new URL(String(done.view.doc.result!.link), 'http://x').searchParams.get('t')!;
    expect(await downloadPack(rt, token)).toBeDefined();
    await eraseSubject(rt, dpo, c.id);
    expect(await downloadPack(rt, token)).toBeUndefined();
    const packs = await rt.database.db
      .selectFrom('request_packs')
      .innerJoin('requests', 'requests.id', 'request_packs.request_id')
      .select(['request_packs.content'])
      .where('requests.subject_id', '=', c.id)
      .execute();
    expect(packs).toHaveLength(1);
    expect(packs[0]!.content.length).toBe(0);
  });

  it('every erase path writes a ledger entry (ids, time, reason code) and mirrors it to a private file with no personal data', async () => {
    const a = await customer();
    await eraseSubject(rt, dpo, a.id, 'asked on the phone by Ledger Person');
    const b = await customer();
    await deleteRecord(rt, dpo, b.records[2]!.id);
    // Orders are kept for tax (legal obligation): this person has none, so all of them goes.
    const c = await customer({ orders: false });
    const done = await fulfilled('erasure', c.email);
    expect(done.view.outcome).toBe('erased');

    expect((await ledger(a.id)).map((r) => [r.kind, r.reason])).toEqual([['subject', 'register-delete']]);
    expect((await ledger(b.records[2]!.id)).map((r) => [r.kind, r.reason])).toEqual([['record', 'record-delete']]);
    expect((await ledger(c.id)).map((r) => [r.kind, r.reason])).toEqual([['subject', 'rights-request']]);
    for (const r of c.records) expect((await ledger(r.id)).map((x) => x.reason)).toEqual(['rights-request']);

    // Mirrored once committed: the file holds every entry, mode 0600, and nothing about the people.
    const rows = await rt.database.db.selectFrom('erasure_ledger').selectAll().execute();
    expect(rows.every((r) => r.mirrored_at !== null)).toBe(true);
    expect(statSync(ledgerFile).mode & 0o777).toBe(0o600);
    const entries = await readLedgerFile(ledgerFile, rt.keyring);
    expect(new Set(entries.map((e) => e.id))).toEqual(new Set(rows.map((r) => r.id)));
    const text = readFileSync(ledgerFile, 'utf8');
    for (const s of ['Ledger Person', '@example.com', 'printer', 'phone']) expect(text).not.toContain(s);
  });

  it('an erasure that fails leaves no ledger entry (same transaction)', async () => {
    const a = await customer();
    await eraseSubject(rt, dpo, a.id);
    const before = (await rt.database.db.selectFrom('erasure_ledger').select('id').execute()).length;
    await expect(eraseSubject(rt, dpo, a.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await rt.database.db.selectFrom('erasure_ledger').select('id').execute()).length).toBe(before);
  });

  it('an altered ledger line is refused, not applied', async () => {
    const text = readFileSync(ledgerFile, 'utf8');
    const lines = text.trimEnd().split('\n');
    const forged = JSON.parse(lines[0]!) as Record<string, string>;
    forged.target = '00000000-0000-4000-8000-000000000000';
    const other = path.join(rt.dataDir, 'forged.erasures');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(other, `${[JSON.stringify(forged), ...lines.slice(1)].join('\n')}\n`, { mode: 0o600 });
    await expect(readLedgerFile(other, rt.keyring)).rejects.toMatchObject({ code: 'LEDGER_INVALID' });
  });

  // SQLite only: PostgreSQL's WAL and old row versions are the server's (README, Backups).
  if (kind === 'sqlite') it('checkpoints the WAL after an erasure, so the wrapped key is in neither the -wal file nor the database file', async () => {
    const a = await customer();
    const key = await rt.database.db.selectFrom('subject_keys').select('wrapped_key').where('subject_id', '=', a.id).executeTakeFirstOrThrow();
    const wrapped = key.wrapped_key!;
    const file = rt.database.description.slice('sqlite:'.length);
    await eraseSubject(rt, dpo, a.id);
    const wal = `${file}-wal`;
    if (existsSync(wal)) {
      expect(statSync(wal).size).toBe(0);
      expect(readFileSync(wal).includes(wrapped)).toBe(false);
    }
    expect(readFileSync(file).includes(wrapped)).toBe(false);
  });
});
