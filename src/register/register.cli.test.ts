import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { runCli } from '../../test/support/cli.js';
import { dialects, postgresUrl } from '../../test/support/databases.js';
import { csvCell } from './register.cli.js';
import { osAccount } from '../kernel/actors.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/register');

/** Values from the fixture's rejected rows: they must not be echoed anywhere. */
const REJECTED_VALUES = ['Bob Jones', 'bob.jones(at)example.com', 'Jones & Co', '4111 1111 1111 1111', 'Dan Brown', 'dan.brown@example.com', '12ab34', 'Gina Grey', 'Ivy Ink', 'Jack Jay'];

/**
 * A database for one suite, and the --db value that reaches it. CLI runs use the URL's default
 * schema, so on PostgreSQL each suite gets a fresh schema named through libpq's `options`.
 */
async function suiteDatabase(kind: 'sqlite' | 'postgres', dataDir: string): Promise<{ args: string[]; open(): Promise<Database>; dispose(): Promise<void> }> {
  if (kind === 'sqlite') {
    const url = `sqlite:${path.join(dataDir, 'steward.sqlite')}`;
    return { args: [], open: () => openDatabase(url, { migrate: false }), dispose: async () => undefined };
  }
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  const admin = await openDatabase(postgresUrl!, { schema, poolSize: 1 });
  const url = `${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    args: ['--db', url],
    open: () => openDatabase(url, { migrate: false, poolSize: 1 }),
    dispose: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}

describe('csvCell', () => {
  it('quotes what CSV needs quoted and neutralises spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    for (const f of ['=1+1', '+44 1727', '-2', '@SUM(A1)']) expect(csvCell(f)).toBe(`'${f}`);
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('\t=1')).toBe(`'\t=1`);
    expect(csvCell(' padded ')).toBe('" padded "');
  });
});

describe.each(dialects)('steward subjects on %s', (kind) => {
  let dir: string;
  let db: Awaited<ReturnType<typeof suiteDatabase>>;
  let janeId: string;
  const cli = (...args: string[]) => runCli(['--data-dir', 'data', '--policy', path.join(FIXTURES, 'policy.yaml'), ...db.args, ...args], { cwd: dir });
  const withDb = async <T>(fn: (d: Database) => Promise<T>): Promise<T> => {
    const d = await db.open();
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-subjects-cli-'));
    copyFileSync(path.join(FIXTURES, 'contacts.csv'), path.join(dir, 'contacts.csv'));
    db = await suiteDatabase(kind, path.join(dir, 'data'));
  });
  afterAll(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a CSV, prints a summary with each rejected row’s line and reason, and exits 1', async () => {
    const r = await cli('subjects', 'import', 'contacts.csv', '--relationship', 'customer', '--map', 'E-mail=email-address', '--batch-size', '3');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('imported contacts.csv as customer');
    expect(r.stdout).toMatch(/rows read\s+13\n\s+created\s+5\n\s+matched existing\s+2\n\s+rejected\s+6\n/);
    expect(r.stdout).toContain('columns: name, E-mail → email-address.value, phone, company, job-title, address');
    expect(r.stdout).toContain('columns not imported (map them with --map "column=category.field"):\n  favourite-colour: no similar field (declare one, or map it)\n');
    expect(r.stdout).toContain('  line 3: column "E-mail": is not a valid email address\n');
    expect(r.stdout).toMatch(/ {2}line 5: column "company": looks like a card number/);
    expect(r.stdout).toContain('  line 9: column "phone": is not a valid phone number\n');
    expect(r.stdout).toContain('  line 12: the row has no value in any imported column\n');
    expect(r.stdout).toContain('  line 13: a quote character out of place');
    expect(r.stdout).toContain('  line 14: the row has a different number of fields from the header row\n');
    for (const v of REJECTED_VALUES) expect(r.stdout + r.stderr, v).not.toContain(v);
    // Not a terminal: no progress bar.
    expect(r.stderr).toBe('');
  });

  it('imports the same file again without creating anyone twice (--json)', async () => {
    const r = await cli('subjects', 'import', 'contacts.csv', '--relationship', 'customer', '--map', 'E-mail=email-address', '--json');
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ file: 'contacts.csv', rows: 13, created: 0, matched: 7, rejected: 6 });
    expect(s.rejections.map((x: { line: number }) => x.line)).toEqual([3, 5, 9, 12, 13, 14]);
    expect(await withDb(async (d) => (await d.db.selectFrom('subjects').select('id').execute()).length)).toBe(5);
  });

  it('exits 0 when every row is imported or matched, and takes --source and --purpose', async () => {
    // As Excel saves "CSV UTF-8": with a byte-order mark.
    writeFileSync(path.join(dir, 'suppliers.csv'), '\ufeffname,email-address,job-title\nRae Ray,rae@example.com,Buyer\nSol Sun,,Director\n');
    const r = await cli('subjects', 'import', 'suppliers.csv', '--relationship', 'supplier-contact', '--source', 'trade-show', '--purpose', 'supplier-management', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 2, created: 2, rejected: 0, unmatchable: 1 });
    const text = await cli('subjects', 'import', 'suppliers.csv', '--relationship', 'supplier-contact');
    expect(text.code).toBe(0);
    // Sol has neither an email address nor a phone number: nothing to match on, so created again.
    expect(text.stdout).toMatch(/created\s+1\n\s+matched existing\s+1\n/);
    expect(text.stdout).toContain('note: 1 new person has no identifier to match on');
  });

  it('refuses what it cannot run with exit 2', async () => {
    const missing = await cli('subjects', 'import', 'nope.csv', '--relationship', 'customer');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('cannot read')]);
    const rel = await cli('subjects', 'import', 'contacts.csv', '--relationship', 'employee');
    expect([rel.code, rel.stderr]).toEqual([2, expect.stringContaining('"employee" is not a relationship')]);
    const map = await cli('subjects', 'import', 'contacts.csv', '--relationship', 'customer', '--map', 'E-mail');
    expect([map.code, map.stderr]).toEqual([2, expect.stringContaining('should be column=category.field')]);
    const none = await cli('subjects', 'import', 'contacts.csv', '--relationship', 'customer', '--map', 'E-mail=email-adress');
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('"email-adress" is not a data category')]);
    writeFileSync(path.join(dir, 'twice.csv'), 'name,email-address,name\nA,a@example.com,B\n');
    const twice = await cli('subjects', 'import', 'twice.csv', '--relationship', 'customer');
    expect([twice.code, twice.stderr]).toEqual([2, expect.stringContaining('names the column "name" twice')]);
    expect((await cli('subjects', 'import', 'contacts.csv')).code).toBe(2);
    expect((await cli('subjects', 'find')).code).toBe(2);
  });

  it('finds people by email and phone in any usual format', async () => {
    const r = await cli('subjects', 'find', '--email', 'JANE.SMITH@EXAMPLE.COM');
    expect(r.code).toBe(0);
    // The name beside the id: decrypted from the field typed "name", and audited as a read.
    expect(r.stdout).toMatch(/^[0-9a-f-]{36} {2}Jane Smith {2}customer\n$/);
    janeId = r.stdout.slice(0, 36);
    for (const phone of ['+44 1727 812222', '01727812222']) {
      const p = await cli('subjects', 'find', '--phone', phone, '--json');
      expect(JSON.parse(p.stdout).subjects).toEqual([expect.objectContaining({ id: janeId, relationships: ['customer'], restricted: false })]);
    }
    expect((await cli('subjects', 'find', '--email', 'nobody@example.com')).stdout).toBe('no one found\n');
    const bad = await cli('subjects', 'find', '--email', 'not-an-email');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not a valid email');
  });

  it('shows a person, decrypted', async () => {
    const r = await cli('subjects', 'show', janeId);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`subject ${janeId}`);
    expect(r.stdout).toMatch(/ {4}Name\s+Jane Smith/);
    expect(r.stdout).toMatch(/ {4}Postal address\s+1 High Street, St Albans/);
    expect(r.stdout).toContain('for deliver-orders · from customer-direct');
    const j = JSON.parse((await cli('subjects', 'show', janeId, '--purpose', 'deliver-orders', '--json')).stdout);
    expect(j.records.map((x: { category: string; value: string }) => [x.category, x.value])).toEqual([
      ['name', 'Jane Smith'],
      ['email-address', 'jane.smith@example.com'],
      ['phone', '01727 812222'],
      ['company', 'Acme Ltd'],
      ['job-title', 'Buyer'],
      ['address', '1 High Street, St Albans'],
    ]);
    expect((await cli('subjects', 'show', '00000000-0000-7000-8000-000000000000')).code).toBe(1);
  });

  it('exports JSON lines and CSV, to a file only its owner can read, with formulas neutralised', async () => {
    const jsonl = await cli('subjects', 'export', '--relationship', 'customer');
    expect(jsonl.code).toBe(0);
    const people = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(people).toHaveLength(5);
    expect(people.find((p) => p.id === janeId).records).toHaveLength(6);
    expect(jsonl.stderr).toContain('plaintext personal data of 5 people');

    const out = await cli('subjects', 'export', '--format', 'csv', '--out', 'out/export.csv');
    expect(out.code).toBe(0);
    const file = path.join(dir, 'out', 'export.csv');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(out.stderr).toContain('wrote 8 people');
    expect(out.stderr).toMatch(/warning: .*plaintext personal data.*0600/);
    const lines = readFileSync(file, 'utf8').split('\r\n');
    // One row per person, a column per category.field (a category without fields: its id).
    expect(lines[0]).toBe('subject_id,relationships,name,email-address,phone,company,job-title,address');
    expect(lines).toContainEqual(`${janeId},customer,Jane Smith,jane.smith@example.com,01727 812222,Acme Ltd,Buyer,"1 High Street, St Albans"`);
    expect(lines).toContainEqual(expect.stringContaining(`,"'=HYPERLINK(""http://evil.example"")",`));
    expect(lines).toContainEqual(expect.stringContaining(`,'+44 20 7946 0018,`));
    expect(lines).toContainEqual(expect.stringMatching(/,supplier-contact,Rae Ray,rae@example.com,,,Buyer,$/));
    // The header, then one row per person: five customers, Rae, and Sol twice.
    const rows = parse(readFileSync(file)) as string[][];
    expect(rows).toHaveLength(1 + 8);
    expect(rows.find((r) => r[7]!.startsWith('Flat'))?.[7]).toBe('Flat 2\r\n3 Low Road');
  });

  it('leaves an audit trail: one subject.import per person created, searches, reads and exports, with no plaintext', async () => {
    const entries = await withDb((d) => d.db.selectFrom('audit_log').selectAll().orderBy('seq').execute());
    const count = (action: string) => entries.filter((e) => e.action === action).length;
    expect(count('subject.import')).toBe(8);
    expect(count('subject.search')).toBeGreaterThanOrEqual(4);
    // show twice, and the name printed beside Jane's id by find.
    expect(count('subject.read')).toBe(3);
    expect(count('subjects.export')).toBe(2);
    // Without --as or STEWARD_USER: the operating-system account, in both the actor and the origin.
    expect(entries.every((e) => e.actor === `os:${osAccount()}` && e.ip === `os:${osAccount()}` && e.actor_role === 'owner')).toBe(true);
    const all = JSON.stringify(entries);
    for (const v of ['jane.smith', 'JANE.SMITH', 'Jane Smith', '812222', 'Acme Ltd', 'nobody@example.com', 'not-an-email']) expect(all, v).not.toContain(v);
    const check = await cli('audit', 'verify');
    expect(check.code).toBe(0);
  });

  it('leaves no plaintext in the data directory (the key file; on SQLite also the database and its WAL)', async () => {
    const dataDir = path.join(dir, 'data');
    const files = readdirSync(dataDir);
    expect(files).toContain(kind === 'sqlite' ? 'steward.sqlite' : 'steward.key');
    for (const f of files) {
      const bytes = readFileSync(path.join(dataDir, f)).toString('latin1');
      for (const v of ['jane.smith@example.com', 'Jane Smith', '01727 812222', 'Acme Ltd', '1 High Street', 'rae@example.com', ...REJECTED_VALUES]) expect(bytes, `${f}: ${v}`).not.toContain(v);
    }
  });
});
