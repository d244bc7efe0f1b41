import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import type { Actor } from '../auth/roles.js';
import { caught } from '../../test/support/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { importSubjects, type ImportOptions, type ImportProgress, type ImportRow, type ImportSummary } from './import.service.js';
import { readCsvRows } from './register.cli.js';
import { findSubjects, getSubject } from './register.read.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/register');
const POLICY = path.join(FIXTURES, 'policy.yaml');
const CONTACTS = path.join(FIXTURES, 'contacts.csv');
const CUSTOMERS: ImportOptions = { relationship: 'customer' };
/** The fixture's e-mail column is not named after its category. */
const CONTACTS_MAP = { map: { 'E-mail': 'email-address' } };

const staff = actorWith('staff');

/**
 * Every cell of the fixture, read leniently (its bad rows included): the personal data that must
 * never appear in a rejection reason or the audit trail. Header names are labels, not data.
 */
function fixtureValues(): string[] {
  const rows = parse(readFileSync(CONTACTS), { relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = new Set(rows[0]);
  return [...new Set(rows.slice(1).flat())]
    .map((v) => v.trim())
    .filter((v) => v.length >= 3 && !header.has(v))
    // A hex-only value ("12ab34") could turn up inside a digest by chance.
    .filter((v) => !/^[0-9a-f]+$/i.test(v));
}

async function* rows(list: Array<Record<string, string>>, opts: { failAfter?: number; firstLine?: number } = {}): AsyncGenerator<ImportRow> {
  let n = 0;
  for (const row of list) {
    if (opts.failAfter !== undefined && n === opts.failAfter) throw new Error('connection lost');
    yield { line: (opts.firstLine ?? 2) + n, row };
    n++;
  }
}

const person = (i: number): Record<string, string> => ({
  name: `Person ${i}`,
  'email-address': `person.${i}@example.com`,
  phone: `07700 9${String(i).padStart(5, '0')}`,
  company: `Company ${i % 7}`,
});

describe.each(dialects)('subjects import on %s', (kind) => {
  let rt: TestRuntime;
  const count = async (table: 'subjects' | 'records' | 'blind_indexes'): Promise<number> =>
    Number((await rt.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const importAudit = async (): Promise<Array<{ subject_id: string | null; details: string }>> =>
    rt.database.db.selectFrom('audit_log').select(['subject_id', 'details']).where('action', '=', 'subject.import').orderBy('seq').execute();
  const run = (source: AsyncIterable<ImportRow>, opts: Partial<ImportOptions> = {}, actor: Actor = staff): Promise<ImportSummary> =>
    importSubjects(rt, actor, source, { ...CUSTOMERS, ...opts });

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
  });
  afterAll(async () => rt.close());

  let first: ImportSummary;

  it('imports a contact spreadsheet: creates, matches duplicates, and rejects bad rows by line number', async () => {
    first = await run(readCsvRows(CONTACTS), { ...CONTACTS_MAP, batchSize: 4 });
    expect(first).toMatchObject({ rows: 13, created: 5, matched: 2, rejected: 6, unmatchable: 0, rejectionsOmitted: 0 });
    // Categories without fields hold one field, "value", labelled with the category's name.
    expect(first.columns.map((c) => ({ column: c.column, category: c.category, field: c.field }))).toEqual([
      { column: 'name', category: 'name', field: 'value' },
      { column: 'E-mail', category: 'email-address', field: 'value' },
      { column: 'phone', category: 'phone', field: 'value' },
      { column: 'company', category: 'company', field: 'value' },
      { column: 'job-title', category: 'job-title', field: 'value' },
      { column: 'address', category: 'address', field: 'value' },
    ]);
    expect(first.ignoredColumns).toEqual(['favourite-colour']);
    expect(first.rejections.map((r) => [r.line, r.code])).toEqual([
      [3, 'VALIDATION_FAILED'], // not an email address
      [5, 'FORBIDDEN_DATA'], // a card number in the company column
      [9, 'VALIDATION_FAILED'], // not a phone number
      [12, 'VALIDATION_FAILED'], // no values at all
      [13, 'VALIDATION_FAILED'], // a stray quote
      [14, 'VALIDATION_FAILED'], // too few fields
    ]);
    expect(first.rejections[0]!.reason).toBe('column "E-mail": is not a valid email address');
    expect(first.rejections[1]!.reason).toMatch(/^column "company": looks like a card number/);
    expect(first.rejections[2]!.reason).toBe('column "phone": is not a valid phone number');
    expect(await count('subjects')).toBe(5);
    // The card number refused is counted for the promises board: a day, the way in, a number.
    expect(await rt.database.db.selectFrom('card_refusals').select(['source', 'refusals']).execute()).toEqual([{ source: 'import', refusals: 1 }]);
  });

  it('never puts the personal data of a rejected row in its reason', () => {
    const report = JSON.stringify(first.rejections).toLowerCase();
    for (const v of fixtureValues()) expect(report, v).not.toContain(v.toLowerCase());
    expect(report).not.toMatch(/\d{4}/);
  });

  it('stores each value under its category, with no record for an empty cell, and skips unknown columns', async () => {
    const [frank] = await findSubjects(rt, staff, { phone: '0161 496 0321' });
    const view = await getSubject(rt, staff, frank!.id);
    expect(view.records.map((r) => [r.category, r.value])).toEqual([
      ['name', 'Frank Green'],
      ['phone', '0161 496 0321'],
      ['company', 'Greens'],
    ]);
    expect(view.records[0]).toMatchObject({ source: 'customer-direct', purposes: [{ purpose: 'deliver-orders', basis: 'contract' }], recordedBy: staff.id });
    const [eve] = await findSubjects(rt, staff, { email: 'eve.black@example.net' });
    const eveView = await getSubject(rt, staff, eve!.id);
    expect(eveView.records.map((r) => r.value)).not.toContain('purple');
    // A quoted address over two lines is one value.
    const [harry] = await findSubjects(rt, staff, { email: 'harry.hill@example.com' });
    expect((await getSubject(rt, staff, harry!.id)).records.find((r) => r.category === 'address')?.value).toBe('Flat 2\r\n3 Low Road');
  });

  it('finds imported people by normalised email and phone', async () => {
    const [jane] = await findSubjects(rt, staff, { email: 'jane.smith@example.com' });
    expect(jane).toMatchObject({ relationships: ['customer'] });
    for (const email of ['JANE.SMITH@EXAMPLE.COM', ' Jane.Smith@Example.com ']) expect((await findSubjects(rt, staff, { email })).map((s) => s.id)).toEqual([jane!.id]);
    for (const phone of ['+44 1727 812222', '01727812222', '+44 (0)1727 812222']) expect((await findSubjects(rt, staff, { phone })).map((s) => s.id)).toEqual([jane!.id]);
  });

  it('audits one subject.import per created person, holding no plaintext, in a chain that verifies', async () => {
    const entries = await importAudit();
    expect(entries).toHaveLength(5);
    expect(new Set(entries.map((e) => e.subject_id)).size).toBe(5);
    const details = entries.map((e) => JSON.parse(e.details) as { import: string; line: number; relationships: string[] });
    expect(details.every((d) => d.import === first.importId)).toBe(true);
    expect(details.map((d) => d.line)).toEqual([2, 4, 6, 8, 10]);
    const all = JSON.stringify(await rt.database.db.selectFrom('audit_log').selectAll().execute()).toLowerCase();
    for (const v of fixtureValues()) expect(all, v).not.toContain(v.toLowerCase());
    expect(await verifyAudit(rt.database.db, rt.keyring)).toMatchObject({ ok: true });
  });

  it('creates no one twice when the same file is imported again', async () => {
    const again = await run(readCsvRows(CONTACTS), CONTACTS_MAP);
    expect(again).toMatchObject({ rows: 13, created: 0, matched: 7, rejected: 6 });
    expect(again.rejections.map((r) => r.line)).toEqual([3, 5, 9, 12, 13, 14]);
    expect(await count('subjects')).toBe(5);
    expect(await importAudit()).toHaveLength(5);
  });

  it('keeps the committed batches of an interrupted import, and a re-run completes it without duplicates', async () => {
    const people = Array.from({ length: 23 }, (_, i) => person(i));
    const before = await count('subjects');
    await expect(run(rows(people, { failAfter: 17 }), { batchSize: 5 })).rejects.toThrow('connection lost');
    // Batches of 5: rows 1–15 were committed; 16 and 17 were waiting in the fourth batch.
    expect((await count('subjects')) - before).toBe(15);
    const progress: ImportProgress[] = [];
    const rerun = await importSubjects(rt, staff, rows(people), { ...CUSTOMERS, batchSize: 5 }, (p) => progress.push(p));
    expect(rerun).toMatchObject({ rows: 23, created: 8, matched: 15, rejected: 0 });
    // After each of the five batches is committed, and at the end.
    expect(progress).toHaveLength(6);
    expect(progress.map((p) => p.created + p.matched)).toEqual([5, 10, 15, 20, 23, 23]);
    expect(progress.at(-1)).toEqual({ rows: 23, created: 8, updated: 0, matched: 15, skipped: 0, rejected: 0 });
    expect((await count('subjects')) - before).toBe(23);
    for (const i of [0, 16, 22]) expect(await findSubjects(rt, staff, { email: `person.${i}@example.com` })).toHaveLength(1);
    expect(await verifyAudit(rt.database.db, rt.keyring)).toMatchObject({ ok: true });
  });

  it('matches duplicates within a batch and across batches, by email first and otherwise by phone', async () => {
    const before = await count('subjects');
    const list: Array<Record<string, string>> = [
      { name: 'Kim A', 'email-address': 'kim@example.com', phone: '01632 960001' },
      { name: 'Kim B', 'email-address': 'KIM@example.com' }, // same batch, same email
      { name: 'Lee', phone: '01632 960001' }, // no email: matched by Kim's phone
      { name: 'Kim C', 'email-address': 'kim@EXAMPLE.com' }, // next batch
      { name: 'Max', 'email-address': 'max@example.com', phone: '01632 960001' }, // new email, shared phone: a new person
      { name: 'Noor' }, // nothing to match on
    ];
    const s = await run(rows(list), { batchSize: 3 });
    expect(s).toMatchObject({ rows: 6, created: 3, matched: 3, rejected: 0, unmatchable: 1 });
    expect((await count('subjects')) - before).toBe(3);
    expect(await findSubjects(rt, staff, { phone: '+44 1632 960001' })).toHaveLength(2);
  });

  it('holds records for the purposes and source given', async () => {
    const s = await run(rows([{ name: 'Olu', 'email-address': 'olu@example.com', 'job-title': 'Buyer' }]), {
      relationship: 'supplier-contact',
      purposes: ['supplier-management'],
      source: 'trade-show',
    });
    expect(s.created).toBe(1);
    const [olu] = await findSubjects(rt, staff, { email: 'olu@example.com' });
    const view = await getSubject(rt, staff, olu!.id);
    expect(view.relationships.map((r) => r.relationship)).toEqual(['supplier-contact']);
    expect(view.records.every((r) => r.source === 'trade-show' && r.purposes.map((p) => p.purpose).join() === 'supplier-management')).toBe(true);
  });

  it('refuses, before reading any row, options that do not fit the declaration', async () => {
    const one = () => rows([{ name: 'P', 'E-mail': 'p@example.com' }]);
    const m = CONTACTS_MAP.map;
    const before = await count('subjects');
    expect((await caught(run(one(), { relationship: 'employee', map: m }))).message).toMatch(/"employee" is not a relationship/);
    expect((await caught(run(one(), { map: { 'E-mail': 'e-mail' } }))).message).toMatch(/"e-mail" is not a data category/);
    expect((await caught(run(one(), { map: { Mail: 'email-address' } }))).message).toMatch(/no column "Mail"/);
    expect((await caught(run(one(), { map: { 'E-mail': 'card-number' } }))).code).toBe('FORBIDDEN_DATA');
    expect((await caught(run(rows([{ a: 'x', b: 'y' }])))).message).toMatch(/no column matches a declared field/);
    expect((await caught(run(rows([{ 'card-number': '4111 1111 1111 1111' }])))).code).toBe('FORBIDDEN_DATA');
    expect((await caught(run(one(), { source: 'nowhere', map: m }))).message).toMatch(/"nowhere" is not a source/);
    // address is not used by supplier-management
    expect((await caught(run(rows([{ address: '1 Road' }]), { relationship: 'supplier-contact' }))).message).toMatch(/no declared purpose uses "address"/);
    expect((await caught(run(one(), { batchSize: 0, map: m }))).message).toMatch(/batchSize/);
    expect((await caught(run(one(), { map: m }, actorWith('auditor')))).code).toBe('FORBIDDEN');
    expect(await count('subjects')).toBe(before);
  });

  it('shows a header that looks like personal data by position, not by its text', async () => {
    const e = await caught(run(rows([{ 'ann@example.com': 'x', '07700 900999': 'y' }]), { map: { Mail: 'email-address' } }));
    expect(e.message).toContain('its columns: "column 1", "column 2"');
    expect(e.message).not.toMatch(/ann@|900999/);
    const s = await run(rows([{ name: 'Pat', 'pat@example.com': 'x' }]));
    expect(s.ignoredColumns).toEqual(['column 2']);
  });

  it('counts rows a reader could not parse as rejected, in line order', async () => {
    async function* source(): AsyncGenerator<ImportRow> {
      yield { line: 2, row: { name: 'Quinn', 'email-address': 'quinn@example.com' } };
      yield { line: 3, row: {}, problem: 'the row has a different number of fields from the header row' };
    }
    const s = await run(source());
    expect(s).toMatchObject({ rows: 2, created: 1, rejected: 1, rejections: [{ line: 3, code: 'VALIDATION_FAILED' }] });
  });

  it('leaves no plaintext of imported people in the tables', async () => {
    const tables = ['subjects', 'subject_keys', 'subject_relationships', 'records', 'blind_indexes', 'audit_log', 'key_state'] as const;
    let dump = '';
    for (const t of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(t)}`.execute(rt.database.db);
      // Buffers (ciphertext, wrapped keys) as raw bytes, so ASCII plaintext inside them would show.
      const asBytes = (_k: string, v: unknown): unknown => {
        const b = v as { type?: unknown; data?: unknown } | null;
        return b && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]).toString('latin1') : v;
      };
      dump += JSON.stringify(rows.rows, asBytes);
    }
    dump = dump.toLowerCase();
    for (const v of [...fixtureValues(), 'person.3@example.com', 'olu@example.com']) expect(dump, v).not.toContain(v.toLowerCase());
  });
});
