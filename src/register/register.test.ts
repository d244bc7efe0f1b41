import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { fileKekProvider } from '../crypto/kek.js';
import { caught } from '../../test/support/errors.js';
import { dialects, postgresUrl } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { Keyring } from '../crypto/keyring.js';
import { addRecords, createSubject, deleteRecord, eraseSubject, setRestriction, updateRecord } from './register.service.js';
import { findSubjects, getRecord, getSubject, listSubjects } from './register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from './register.access.js';

const dpo = actorWith('dpo');
const staff = actorWith('staff');
const auditor = actorWith('auditor');
const techManager = actorWith('staff', ['tech-manager'], 'user-tech');

const customer = (email: string, extra: Array<{ category: string; value?: string; text?: string }> = []) => ({
  relationships: [{ relationship: 'customer' }],
  records: [{ category: 'name', value: 'Ada Lovelace' }, { category: 'email-address', value: email }, ...extra],
});

describe.each(dialects)('register on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { keyFile: true });
  });
  afterAll(async () => rt.close());

  it('records a person with their records, tied to purpose, basis and source, and reads them back decrypted', async () => {
    const s = await createSubject(rt, staff, customer('ada@example.org', [{ category: 'phone', value: '01727 812222' }]));
    expect(s.relationships).toEqual([expect.objectContaining({ relationship: 'customer', role: 'controller', onBehalfOf: null })]);
    expect(s.records.map((r) => [r.category, r.value])).toEqual([
      ['name', 'Ada Lovelace'],
      ['email-address', 'ada@example.org'],
      ['phone', '01727 812222'],
    ]);
    expect(s.records[0]!.purposes).toEqual([{ purpose: 'service', basis: 'contract' }]);
    expect(s.records[0]!.source).toBe('directly');
    expect(s.records[0]!.recordedBy).toBe(staff.id);
    const again = await getSubject(rt, staff, s.id, 'service');
    expect(again.records.map((r) => r.value)).toEqual(['Ada Lovelace', 'ada@example.org', '01727 812222']);
  });

  it('finds people by exact email and phone through blind indexes, whatever their formatting', async () => {
    const s = await createSubject(rt, staff, customer('Grace.Hopper@Example.ORG', [{ category: 'phone', value: '+44 (0)20 7946 0018' }]));
    expect((await findSubjects(rt, staff, { email: 'grace.hopper@example.org' })).map((x) => x.id)).toEqual([s.id]);
    expect((await findSubjects(rt, staff, { phone: '020 7946 0018' })).map((x) => x.id)).toEqual([s.id]);
    expect((await findSubjects(rt, staff, { email: 'grace.hopper@example.org', phone: '02079460018' })).map((x) => x.id)).toEqual([s.id]);
    expect(await findSubjects(rt, staff, { email: 'nobody@example.org' })).toEqual([]);
    expect((await caught(findSubjects(rt, staff, { email: 'not an email' }))).code).toBe('VALIDATION_FAILED');
  });

  it('refuses card numbers and CVVs anywhere, naming the field and never echoing the number', async () => {
    const e = await caught(createSubject(rt, staff, customer('card@example.org', [{ category: 'call-notes', text: 'customer read out 4111 1111 1111 1111 on the call' }])));
    expect(e.code).toBe('FORBIDDEN_DATA');
    expect(e.message).toContain('call-notes');
    expect(JSON.stringify({ m: e.message, d: e.details })).not.toMatch(/4111/);
    // A masked number is fine.
    await expect(createSubject(rt, staff, customer('masked@example.org', [{ category: 'call-notes', text: 'card ending 411111******1111 declined' }]))).resolves.toBeDefined();
    const never = await caught(createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'card-number', value: 'tok_123' }] }));
    expect(never.code).toBe('FORBIDDEN_DATA');
    expect(await findSubjects(rt, staff, { email: 'card@example.org' })).toEqual([]);
  });

  it('ties every record to the declaration', async () => {
    const bad = async (records: Array<Record<string, unknown>>, rel = 'customer') =>
      (await caught(createSubject(rt, staff, { relationships: [{ relationship: rel }], records: records as never }))).message;
    expect(await bad([{ category: 'shoe-size', value: '9' }])).toMatch(/"shoe-size" is not a data category/);
    expect(await bad([{ category: 'name', value: 'x', purposes: ['profiling'] }])).toMatch(/"profiling" is not a purpose/);
    expect(await bad([{ category: 'phone', value: '01727812222', purposes: ['newsletter'] }])).toMatch(/does not use the category "phone"/);
    expect(await bad([{ category: 'name', value: 'x', purposes: ['newsletter'] }], 'newsletter-subscriber')).toMatch(/does not use the category "name"/);
    expect(await bad([{ category: 'name', value: 'x', source: 'bought-list' }])).toMatch(/"bought-list" is not a source/);
    expect(await bad([{ category: 'email-address', value: 'nope' }])).toMatch(/not a valid email/);
    expect(await bad([], 'alien')).toMatch(/"alien" is not a relationship/);
  });

  it('records the processor role on behalf of the declared client', async () => {
    const s = await createSubject(rt, staff, { relationships: [{ relationship: 'client-caller' }], records: [{ category: 'phone', value: '07700 900123' }] });
    expect(s.relationships[0]).toMatchObject({ role: 'processor', onBehalfOf: 'Our business clients' });
    expect(s.records[0]!.source).toBe('client');
  });

  it('keeps restricted categories for the roles the declaration names', async () => {
    const s = await createSubject(rt, dpo, {
      relationships: [{ relationship: 'customer' }],
      records: [
        { category: 'name', value: 'Caller' },
        { category: 'call-recording', file: { name: 'call-2026-03-02.mp3', contentType: 'audio/mpeg', data: Buffer.from('ID3 fake audio') } },
      ],
    });
    const asStaff = await getSubject(rt, staff, s.id);
    expect(asStaff.records.map((r) => r.category)).toEqual(['name']);
    expect(asStaff.withheld).toEqual([{ category: 'call-recording', count: 1 }]);
    const asTech = await getSubject(rt, techManager, s.id);
    expect(asTech.records.map((r) => r.category)).toEqual(['name', 'call-recording']);
    const rec = (await getSubject(rt, dpo, s.id)).records.find((r) => r.category === 'call-recording')!;
    expect(rec.file?.name).toBe('call-2026-03-02.mp3');
    expect(rec.file?.data.toString()).toBe('ID3 fake audio');
    expect((await caught(getRecord(rt, staff, rec.id))).code).toBe('FORBIDDEN');
    expect((await getRecord(rt, techManager, rec.id)).file?.data.toString()).toBe('ID3 fake audio');
  });

  it('enforces roles: auditors change nothing, staff cannot erase', async () => {
    expect((await caught(createSubject(rt, auditor, customer('aud@example.org')))).code).toBe('FORBIDDEN');
    const s = await createSubject(rt, staff, customer('role@example.org'));
    expect((await caught(eraseSubject(rt, staff, s.id))).code).toBe('FORBIDDEN');
    expect((await caught(deleteRecord(rt, staff, s.records[0]!.id))).code).toBe('FORBIDDEN');
    expect((await getSubject(rt, auditor, s.id)).id).toBe(s.id);
  });

  it('refuses processing of a restricted subject except for the rights request (Art 18)', async () => {
    const s = await createSubject(rt, staff, customer('restricted@example.org'));
    await setRestriction(rt, dpo, s.id, true, 'accuracy contested');
    expect((await caught(getSubject(rt, staff, s.id, 'service'))).code).toBe('RESTRICTED');
    expect((await caught(getRecord(rt, staff, s.records[0]!.id))).code).toBe('RESTRICTED');
    expect((await caught(addRecords(rt, staff, s.id, [{ category: 'phone', value: '01727812222' }]))).code).toBe('RESTRICTED');
    expect((await getSubject(rt, dpo, s.id, RIGHTS_REQUEST_PURPOSE)).restricted).toBe(true);
    await setRestriction(rt, dpo, s.id, false, 'accuracy confirmed; person told');
    expect((await getSubject(rt, staff, s.id, 'service')).restricted).toBe(false);
  });

  it('rectifies a record, keeping only ciphertext digests of before and after in the audit trail', async () => {
    const s = await createSubject(rt, staff, customer('old.address@example.org'));
    const email = s.records.find((r) => r.category === 'email-address')!;
    const updated = await updateRecord(rt, staff, email.id, { value: 'new.address@example.org' });
    expect(updated.value).toBe('new.address@example.org');
    expect(await findSubjects(rt, staff, { email: 'old.address@example.org' })).toEqual([]);
    expect((await findSubjects(rt, staff, { email: 'new.address@example.org' })).map((x) => x.id)).toEqual([s.id]);
    const entry = await rt.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'record.update').where('record_id', '=', email.id).executeTakeFirstOrThrow();
    const details = JSON.parse(entry.details) as { before: string; after: string };
    expect(details.before).toMatch(/^[0-9a-f]{32}$/);
    expect(details.after).not.toBe(details.before);
    expect(entry.details).not.toMatch(/address@example/);
  });

  it('lists people by relationship with cursor pagination', async () => {
    for (let i = 0; i < 3; i++) await createSubject(rt, staff, { relationships: [{ relationship: 'newsletter-subscriber' }], records: [{ category: 'email-address', value: `n${i}@example.org` }] });
    const first = await listSubjects(rt, staff, { relationship: 'newsletter-subscriber', limit: 2 });
    expect(first.subjects).toHaveLength(2);
    expect(first.next).not.toBeNull();
    const second = await listSubjects(rt, staff, { relationship: 'newsletter-subscriber', limit: 2, after: first.next! });
    expect(second.subjects).toHaveLength(1);
    expect(second.next).toBeNull();
    expect(new Set([...first.subjects, ...second.subjects].map((s) => s.id)).size).toBe(3);
  });

  it('erases a person by destroying their key; the audit chain stays intact', async () => {
    const s = await createSubject(rt, staff, customer('erase.me@example.org'));
    const r = await eraseSubject(rt, dpo, s.id, 'erasure request');
    expect(r.records).toBe(2);
    const key = await rt.database.db.selectFrom('subject_keys').selectAll().where('subject_id', '=', s.id).executeTakeFirstOrThrow();
    expect(key.wrapped_key).toBeNull();
    expect(await findSubjects(rt, staff, { email: 'erase.me@example.org' })).toEqual([]);
    expect((await getSubject(rt, dpo, s.id)).records).toEqual([]);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  });

  it('audits every read and write, with actor, purpose and no personal data', async () => {
    const s = await createSubject(rt, staff, customer('audited@example.org'));
    await getSubject(rt, auditor, s.id, 'service');
    await findSubjects(rt, staff, { email: 'audited@example.org' }, 'service');
    const entries = await rt.database.db.selectFrom('audit_log').selectAll().where('subject_id', '=', s.id).orderBy('seq').execute();
    expect(entries.map((e) => e.action)).toEqual(['subject.create', 'subject.read']);
    expect(entries[1]).toMatchObject({ actor: auditor.id, actor_role: 'auditor', purpose: 'service', ip: '127.0.0.1' });
    const search = await rt.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'subject.search').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(search.details)).toEqual({ by: ['email'], matches: 1 });
    const all = await rt.database.db.selectFrom('audit_log').select(['details', 'purpose', 'action']).execute();
    expect(JSON.stringify(all)).not.toMatch(/audited@example|Ada Lovelace/);
  });

  it('rotates the key-encryption key without re-encrypting records', async () => {
    const s = await createSubject(rt, staff, customer('rotate@example.org'));
    const before = await rt.database.db.selectFrom('records').select(['id', 'ciphertext']).where('subject_id', '=', s.id).orderBy('id').execute();
    const v = rt.keyring.kekVersion;
    const result = await rt.keyring.rotate(rt.database.db);
    expect(result.version).toBe(v + 1);
    expect(result.rewrapped).toBeGreaterThan(0);
    const after = await rt.database.db.selectFrom('records').select(['id', 'ciphertext']).where('subject_id', '=', s.id).orderBy('id').execute();
    expect(after.map((r) => Buffer.from(r.ciphertext).toString('hex'))).toEqual(before.map((r) => Buffer.from(r.ciphertext).toString('hex')));
    const versions = await rt.database.db.selectFrom('subject_keys').select('kek_version').distinct().where('wrapped_key', 'is not', null).execute();
    expect(versions.map((x) => x.kek_version)).toEqual([v + 1]);
    // A fresh process with the rotated key file still reads everything and finds by index.
    const reopened = await Keyring.open(rt.database.db, fileKekProvider(path.join(rt.dataDir, 'steward.key')));
    const other = { ...rt, keyring: reopened };
    expect((await getSubject(other, dpo, s.id)).records.map((r) => r.value)).toContain('rotate@example.org');
    expect((await findSubjects(other, dpo, { email: 'rotate@example.org' })).map((x) => x.id)).toEqual([s.id]);
  });

  it('stores no plaintext personal data at rest', async () => {
    const secrets = ['zebediah.quartermain@example.net', 'Zebediah Quartermain', '+447700900777', '07700 900777', 'Quartermain notes: prefers calls after six'];
    await createSubject(rt, staff, {
      relationships: [{ relationship: 'customer' }],
      records: [
        { category: 'name', value: secrets[1] },
        { category: 'email-address', value: secrets[0] },
        { category: 'phone', value: secrets[3] },
        { category: 'call-notes', text: secrets[4] },
      ],
    });
    const s = (await findSubjects(rt, staff, { email: secrets[0]! }))[0]!;
    await updateRecord(rt, staff, (await getSubject(rt, staff, s.id)).records[0]!.id, { value: 'Zebediah Q. Quartermain' });
    let haystack: Buffer;
    if (kind === 'sqlite') {
      // The database file, its write-ahead log and shared-memory index.
      const dir = path.dirname(rt.testDb.description.replace(/^sqlite:/, ''));
      const files = readdirSync(dir).filter((f) => f.includes('sqlite'));
      expect(files).toContain('test.sqlite-wal');
      haystack = Buffer.concat(files.map((f) => readFileSync(path.join(dir, f))));
      expect(haystack.length).toBeGreaterThan(10_000);
    } else {
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(rt.database.db)).rows[0]!.s;
      haystack = execFileSync('pg_dump', ['--no-owner', '-n', schema, postgresUrl!], { maxBuffer: 256 * 1024 * 1024 });
      expect(haystack.toString()).toContain('CREATE TABLE');
    }
    const text = haystack.toString('latin1');
    for (const secret of [...secrets, 'Zebediah', 'Quartermain', 'zebediah', '7700900777']) {
      expect(text.includes(secret), `"${secret}" found at rest`).toBe(false);
      expect(haystack.includes(Buffer.from(secret, 'utf16le')), `"${secret}" found at rest (UTF-16)`).toBe(false);
    }
  });
});
