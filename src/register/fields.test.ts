/**
 * Issue 13's journey: an office-supplies firm's customer spreadsheet, with its own column names,
 * into the register as fields inside categories, and back out again — on both databases.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { supplementaryHtml, recordsCsv, recordsJson } from '../requests/requests.pack.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { importSubjects, type ImportOptions, type ImportSummary } from './import.service.js';
import { exportColumns, exportRow, EXPORT_CSV_COLUMNS, csvCell, readCsvRows } from './register.cli.js';
import { migrate } from '../db/database.js';
import { eraseSubject, updateRecord } from './register.service.js';
import { exportSubjects, findSubjects, getSubject, recordRepeats, subjectNames, type SubjectView } from './register.read.js';
import { oldRecord, oldSubject } from '../../test/support/old-register.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KESTRONICS = path.join(ROOT, 'examples/kestronics.yaml');
const ONE_CATEGORY = path.join(ROOT, 'test/fixtures/register/one-contact-category.yaml');
const SPREADSHEET = path.join(ROOT, 'test/fixtures/register/office-customers.csv');
const CUSTOMERS: ImportOptions = { relationship: 'customer' };

const staff = actorWith('staff');
const dpo = actorWith('dpo');

/** A person as their values: category → field → value, for comparing registers. */
const valuesOf = (s: SubjectView): Record<string, Record<string, string>> =>
  Object.fromEntries(s.records.filter((r) => r.kind === 'value').map((r) => [r.category, Object.fromEntries((r.fields ?? []).map((f) => [f.id, f.value]))]));

async function everyone(rt: TestRuntime): Promise<Array<Record<string, Record<string, string>>>> {
  const out: Array<Record<string, Record<string, string>>> = [];
  for await (const s of exportSubjects(rt, dpo)) out.push(valuesOf(s));
  return out.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe.each(dialects)('fields inside categories on %s', (kind) => {
  let rt: TestRuntime;
  let dir: string;
  const importFile = (file: string, opts: Partial<ImportOptions> = {}, target: TestRuntime = rt): Promise<ImportSummary> =>
    importSubjects(target, staff, readCsvRows(file), { ...CUSTOMERS, ...opts });
  const byEmail = async (email: string): Promise<string> => {
    const found = await findSubjects(rt, staff, { email });
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: KESTRONICS });
    dir = mkdtempSync(path.join(tmpdir(), 'steward-fields-'));
  });
  afterAll(async () => {
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the spreadsheet with its own column names into Kestronics, without --map', async () => {
    const s = await importFile(SPREADSHEET);
    expect(s).toMatchObject({ rows: 5, created: 5, updated: 0, matched: 0, skipped: 0, rejected: 0 });
    expect(s.unmapped).toEqual([]);
    expect(s.columns.map((c) => [c.column, `${c.category}.${c.field}`])).toEqual([
      ['First name', 'identity-and-contact.first-name'],
      ['Surname', 'identity-and-contact.surname'],
      ['Job title', 'identity-and-contact.job-title'],
      ['Company', 'identity-and-contact.company'],
      ['Email', 'identity-and-contact.email'],
      ['Phone', 'identity-and-contact.phone'],
      ['Billing address', 'identity-and-contact.billing-address'],
      ['Delivery address', 'identity-and-contact.delivery-address'],
      ['Postcode', 'identity-and-contact.postcode'],
      ['Account ref', 'account-details.account-number'],
    ]);
  });

  it('shows a person as categories with every labelled field, in one record per category', async () => {
    const id = await byEmail('M.Okafor@harbour-dental.example');
    const view = await getSubject(rt, staff, id);
    expect(view.records.map((r) => r.category)).toEqual(['identity-and-contact', 'account-details']);
    expect(view.records[0]!.fields!.map((f) => [f.label, f.value])).toEqual([
      ['First name', 'Margaret'],
      ['Surname', 'Okafor'],
      ['Email address', 'm.okafor@harbour-dental.example'],
      ['Phone number', '01843 590112'],
      ['Job title', 'Office manager'],
      ['Company', 'Harbour Dental Ltd'],
      ['Billing address', '54 Station Road, Ramsgate'],
      ['Delivery address', '54 Station Road, Ramsgate'],
      ['Postcode', 'CT11 7RJ'],
    ]);
    expect(view.records[1]!.fields).toEqual([{ id: 'account-number', label: 'Account number', type: 'reference', value: 'HD-1001' }]);
    // Searchable by every identifier field: the phone, and the account number.
    expect((await findSubjects(rt, staff, { phone: '+44 1843 590112' })).map((x) => x.id)).toEqual([id]);
    expect((await findSubjects(rt, staff, { identifier: { category: 'account-details', value: 'HD-1001' } })).map((x) => x.id)).toEqual([id]);
    expect((await subjectNames(rt, staff, [{ id, restricted: false }])).get(id)).toBe('Margaret Okafor');
  });

  it('updates one field as a rectification audited with digests, never values', async () => {
    const id = await byEmail('dev@patelandsons.example');
    const record = (await getSubject(rt, staff, id)).records.find((r) => r.category === 'identity-and-contact')!;
    const changed = await updateRecord(rt, staff, record.id, { fields: { 'delivery-address': '3 Mill Lane, Canterbury' } });
    expect(changed.fields!.find((f) => f.id === 'delivery-address')!.value).toBe('3 Mill Lane, Canterbury');
    expect(changed.fields!.find((f) => f.id === 'surname')!.value).toBe('Patel');
    const entry = await rt.database.db.selectFrom('audit_log').select('details').where('action', '=', 'record.update').where('record_id', '=', record.id).executeTakeFirstOrThrow();
    const details = JSON.parse(entry.details);
    expect(details).toMatchObject({ category: 'identity-and-contact', fields: ['delivery-address'] });
    expect(details.before).toMatch(/^[0-9a-f]{32}$/);
    expect(details.after).not.toBe(details.before);
    expect(entry.details).not.toContain('Mill Lane');
  });

  it('re-imports as upkeep: a changed job title is updated, unchanged people are left alone', async () => {
    const text = readFileSync(SPREADSHEET, 'utf8').replace('Patel,Finance director', 'Patel,Managing director');
    const file = path.join(dir, 'next-month.csv');
    writeFileSync(file, text);
    const before = await rt.database.db.selectFrom('records').select(['id', 'updated_at', 'ciphertext']).orderBy('id').execute();
    // The dry run says who would be updated, and writes nothing.
    expect(await importFile(file, { dryRun: true })).toMatchObject({ rows: 5, created: 0, updated: 1, matched: 5, dryRun: true });
    expect(await rt.database.db.selectFrom('records').select(['id', 'updated_at', 'ciphertext']).orderBy('id').execute()).toEqual(before);
    const s = await importFile(file);
    expect(s).toMatchObject({ rows: 5, created: 0, updated: 1, matched: 5, skipped: 0, rejected: 0 });
    const dev = await getSubject(rt, staff, await byEmail('dev@patelandsons.example'));
    const contact = dev.records.find((r) => r.category === 'identity-and-contact')!;
    expect(contact.fields!.find((f) => f.id === 'job-title')!.value).toBe('Managing director');
    // The import's own values win where they differ: the delivery address changed above goes back.
    expect(contact.fields!.find((f) => f.id === 'delivery-address')!.value).toBe('Unit 9, Wincheap Estate, Canterbury');
    const after = await rt.database.db.selectFrom('records').select(['id', 'updated_at', 'ciphertext']).orderBy('id').execute();
    const touched = after.filter((a) => !before.find((b) => b.id === a.id)!.ciphertext.equals(a.ciphertext));
    expect(touched.map((t) => t.id)).toEqual([contact.id]);
    const audit = await rt.database.db.selectFrom('audit_log').select('details').where('action', '=', 'record.update').where('record_id', '=', contact.id).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details)).toMatchObject({ fields: ['job-title', 'delivery-address'], import: s.importId, line: 3 });
    expect(audit.details).not.toContain('Managing');
  });

  it('does not re-create an erased person: skipped with the line, unless added deliberately', async () => {
    await eraseSubject(rt, dpo, await byEmail('t.nowak@nowak.example'), 'asked to be forgotten');
    const s = await importFile(SPREADSHEET);
    expect(s).toMatchObject({ created: 0, skipped: 1, skippedLines: [5], rejected: 0 });
    expect(await findSubjects(rt, staff, { email: 't.nowak@nowak.example' })).toEqual([]);
    const deliberate = await importFile(SPREADSHEET, { addLines: [5] });
    expect(deliberate).toMatchObject({ created: 1, skipped: 0 });
    const entry = await rt.database.db.selectFrom('audit_log').select('details').where('action', '=', 'subject.import').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toMatchObject({ line: 5, deliberate: true });
  });

  it('a dry run reports the mapping and the refused rows, writing nothing', async () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'First name,Surname,Email,Phone,Favourite colour\nAnn,Ash,not-an-email,,x\nBo,Birch,bo@example.com,,y\n');
    const count = async () => Number((await rt.database.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const n = await count();
    const s = await importFile(file, { dryRun: true });
    expect(s).toMatchObject({ dryRun: true, created: 1, rejected: 1 });
    expect(s.rejections).toEqual([{ line: 2, code: 'VALIDATION_FAILED', reason: 'column "Email": is not a valid email address' }]);
    expect(s.unmapped).toEqual([{ column: 'Favourite colour' }]);
    expect(await count()).toBe(n);
  });

  it('refuses bad input line by line (wrong encoding, ragged rows, a 10 MB cell), importing the rest', async () => {
    const file = path.join(dir, 'bad-input.csv');
    const head = 'First name,Surname,Email\n';
    const latin1 = Buffer.from('Ren\xe9,Dupont,rene@example.com\n', 'latin1');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(head),
        latin1,
        Buffer.from('Ann,Ash\n'),
        Buffer.from(`Big,Cell,${'x'.repeat(10 * 1024 * 1024)}\n`),
        Buffer.from('Cal,Cedar,cal.cedar@example.com\n'),
      ]),
    );
    const s = await importFile(file);
    expect(s).toMatchObject({ rows: 4, created: 1, rejected: 3 });
    expect(s.rejections.map((r) => [r.line, r.reason])).toEqual([
      [2, 'the row is not UTF-8 text: save the file as "CSV UTF-8" and import it again'],
      [3, 'the row has a different number of fields from the header row'],
      [4, 'column "Email": is longer than 10000 characters'],
    ]);
    expect(await findSubjects(rt, staff, { email: 'cal.cedar@example.com' })).toHaveLength(1);
  });

  it('exports one row per person with a column per category.field, which imports back into an empty register as the same people', async () => {
    const columns = exportColumns(rt.policy, dpo, await recordRepeats(rt));
    let csv = `${[...EXPORT_CSV_COLUMNS, ...columns.map((c) => c.name)].map(csvCell).join(',')}\r\n`;
    for await (const s of exportSubjects(rt, dpo)) csv += exportRow(s, columns);
    expect(csv.split('\r\n')[0]).toContain('identity-and-contact.surname,identity-and-contact.email');
    // A phone number starting "+" is neutralised for spreadsheets, and reads back as written.
    expect(csv).toContain(",'+44 1843 222333,");
    const file = path.join(dir, 'export.csv');
    writeFileSync(file, csv);
    const empty = await createTestRuntime(kind, { policyFile: KESTRONICS });
    try {
      const s = await importFile(file, {}, empty);
      // The five from the spreadsheet and the one imported from the file with bad lines.
      expect(s).toMatchObject({ rows: 6, created: 6, rejected: 0 });
      expect(s.unmapped.map((u) => u.column)).toEqual(['subject_id', 'relationships']);
      expect(await everyone(empty)).toEqual(await everyone(rt));
    } finally {
      await empty.close();
    }
  });

  it('puts the values in the access pack: HTML labelled by field and grouped by category, CSV and JSON with labels and bases', async () => {
    const view = await getSubject(rt, dpo, await byEmail('m.okafor@harbour-dental.example'));
    const html = supplementaryHtml(rt.policy, view.records, { reference: 'SAR-1', organisation: 'Kestronics', today: '2026-03-02' });
    expect(html).toContain('<h3>Name and contact details</h3>');
    expect(html).toContain('<th scope="row">Surname</th><td>Okafor</td>');
    expect(html).toContain('<th scope="row">Billing address</th><td>54 Station Road, Ramsgate</td>');
    expect(html).toContain('<th scope="row">Account number</th><td>HD-1001</td>');
    expect(html).toMatch(/<dt>On what basis<\/dt><dd>[^<]+<\/dd>/);
    expect(html).toMatch(/<dt>Until when<\/dt><dd>[^<]+<\/dd>/);
    const csv = recordsCsv(rt.policy, view.records);
    expect(csv).toContain(',surname,Surname,Okafor,');
    const [head, ...rows] = parse(csv) as string[][];
    expect(rows).toHaveLength(10);
    // No empty lawful-basis cell, no "; ; ;".
    const basis = head!.indexOf('lawful_bases');
    for (const row of rows) expect(row[basis]).toMatch(/[a-z]{4}/i);
    const json = JSON.parse(recordsJson(rt.policy, view.records));
    expect(json[0].fields[1]).toEqual({ id: 'surname', label: 'Surname', value: 'Okafor' });
    expect(json[0].lawfulBases).not.toBe('');
  });

  it('imports the same spreadsheet into a declaration whose one contact category holds name, email and phone', async () => {
    const other = await createTestRuntime(kind, { policyFile: ONE_CATEGORY });
    try {
      const s = await importFile(SPREADSHEET, {}, other);
      expect(s).toMatchObject({ rows: 5, created: 5, rejected: 0 });
      expect(s.columns.map((c) => `${c.column}=${c.category}.${c.field}`)).toEqual(['First name=contact.first-name', 'Surname=contact.surname', 'Email=contact.email', 'Phone=contact.phone']);
      // The columns the declaration has no field for are listed, never dropped silently.
      expect(s.unmapped.map((u) => u.column)).toEqual(['Job title', 'Company', 'Billing address', 'Delivery address', 'Postcode', 'Account ref']);
      const found = await findSubjects(other, staff, { phone: '01227 765432' });
      const grace = await getSubject(other, staff, found[0]!.id);
      expect(grace.records).toHaveLength(1);
      expect(grace.records[0]!.fields!.map((f) => `${f.label}: ${f.value}`)).toEqual(['First name: Grace', 'Surname: Adeyemi', 'Telephone number: 01227 765432']);
    } finally {
      await other.close();
    }
  });

  it('keeps the audit chain whole and free of the values', async () => {
    expect(await verifyAudit(rt.database.db, rt.keyring)).toMatchObject({ ok: true });
    const all = JSON.stringify(await rt.database.db.selectFrom('audit_log').select('details').execute());
    for (const v of ['Okafor', 'harbour-dental', '590112', 'Station Road', 'HD-1001']) expect(all, v).not.toContain(v);
  });
});

describe.each(dialects)('records written before fields, on %s', (kind) => {
  const BEFORE = '20261202_1901_disclosures';
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: KESTRONICS, migrateTo: BEFORE });
  });
  afterAll(async () => rt.close());

  it('migrates: an old one-value record reads as its category field and stays searchable', async () => {
    // Written as the register wrote before fields: one value per record, {v} in the ciphertext,
    // one blind index per record keyed "email" or "other:<category>".
    const db = rt.database.db;
    const now = '2026-01-05T09:00:00.000Z';
    const subjectId = '01900000-0000-7000-8000-000000000001';
    const dek = await oldSubject(rt, subjectId, now);
    const old = [
      { id: '01900000-0000-7000-8000-0000000000a1', category: 'identity-and-contact', value: 'old.customer@example.com', key: 'email', kind: 'email' as const },
      { id: '01900000-0000-7000-8000-0000000000a2', category: 'account-details', value: 'KX-0042', key: 'other:account-details', kind: 'other' as const },
    ];
    for (const r of old) {
      await oldRecord(rt, dek, { id: r.id, subjectId, category: r.category, plaintext: Buffer.from(JSON.stringify({ v: r.value })), purposes: JSON.stringify([{ purpose: 'provide-services', basis: 'contract' }]) }, now);
      const e = rt.keyring.indexer.index(r.key, r.kind, r.value)!;
      await db.insertInto('blind_indexes').values({ record_id: r.id, subject_id: subjectId, kind: r.key, key_version: e.version, digest: e.digest }).execute();
    }

    expect(await migrate(rt.database)).toContain('20261203_1301_record_fields');

    const view = await getSubject(rt, staff, subjectId);
    expect(view.records.map((r) => [r.category, r.fields!.map((f) => `${f.label}: ${f.value}`)])).toEqual([
      ['identity-and-contact', ['Email address: old.customer@example.com']],
      ['account-details', ['Account number: KX-0042']],
    ]);
    expect((await findSubjects(rt, staff, { email: 'OLD.customer@example.com' })).map((s) => s.id)).toEqual([subjectId]);
    expect((await findSubjects(rt, staff, { identifier: { category: 'account-details', value: 'KX-0042' } })).map((s) => s.id)).toEqual([subjectId]);
    // Changing it writes the new format: the other fields join the migrated one.
    const contact = view.records[0]!;
    const changed = await updateRecord(rt, staff, contact.id, { fields: { surname: 'Customer' } });
    expect(changed.fields!.map((f) => f.id)).toEqual(['surname', 'email']);
    expect((await findSubjects(rt, staff, { email: 'old.customer@example.com' })).map((s) => s.id)).toEqual([subjectId]);
  });
});
