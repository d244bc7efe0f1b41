import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { runCli } from '../../test/support/cli.js';
import { dialects, postgresUrl } from '../../test/support/databases.js';
import { recipientsFromText } from './consent.cli.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/consent/policy.yaml');

describe('reading campaign lists', () => {
  it('takes one identifier per line, or the email/phone column of a CSV, with line numbers', () => {
    expect(recipientsFromText('a@example.org\n\n# note\r\nb@example.org\n')).toEqual({ recipients: ['a@example.org', 'b@example.org'], lines: [1, 4] });
    expect(recipientsFromText('Name,Email Address\n"Smith, Jo",jo@example.org\nAl,al@example.org\n')).toEqual({ recipients: ['jo@example.org', 'al@example.org'], lines: [2, 3] });
    expect(recipientsFromText('id,mobile\n1,07700900123\n', 'mobile').recipients).toEqual(['07700900123']);
    expect(() => recipientsFromText('id,name\n1,x\n')).toThrow(/no email or phone column/);
  });
});

describe.each(dialects)('steward marketing and consent on %s', (kind) => {
  let dir: string;
  let dbArgs: string[] = [];
  let dispose: () => Promise<void> = async () => undefined;
  const cli = (...args: string[]) => runCli(['--data-dir', 'data', '--policy', POLICY, ...dbArgs, ...args], { cwd: dir });
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-consent-cli-'));
    if (kind === 'postgres') {
      const schema = `cli_${randomBytes(6).toString('hex')}`;
      const admin: Database = await openDatabase(postgresUrl!, { schema, poolSize: 1, migrate: false });
      dbArgs = ['--db', `${postgresUrl}${postgresUrl!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`];
      dispose = async () => {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
        await admin.close();
      };
    }
  });
  afterAll(async () => {
    await dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records consent, checks a list, screens calls, and keeps the suppression list, all from the console', async () => {
    const imported = await cli('subjects', 'import', file('people.csv', 'name,email-address,phone\nAnn Able,ann@example.org,07700 900201\nBen Bold,ben@example.org,07700 900202\n'), '--relationship', 'customer', '--json');
    expect(imported.code).toBe(0);
    const ann = JSON.parse((await cli('subjects', 'find', '--email', 'ann@example.org', '--json')).stdout).subjects[0].id as string;

    const rec = await cli('consent', 'record', ann, '--purpose', 'newsletter', '--channel', 'email', '--action', 'given', '--method', 'ticked-box', '--wording', 'Send me the newsletter');
    expect(rec.code).toBe(0);
    expect(rec.stdout).toMatch(/newsletter by email: active until 20\d\d-/);
    const shown = await cli('consent', 'show', ann);
    expect(shown.stdout).toMatch(/given\s+newsletter by email, ticked-box/);

    const check = await cli('marketing', 'check', file('list.txt', 'ann@example.org\nben@example.org\nnobody@example.org\nnot an address\n'), '--purpose', 'newsletter', '--channel', 'email', '--json');
    expect(check.code).toBe(0);
    const out = JSON.parse(check.stdout);
    expect(out.counts).toMatchObject({ recipients: 4, allowed: 1, blocked: 3 });
    expect(out.results.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([
      [1, 'consent'],
      [2, 'no-consent'],
      [3, 'unknown-person'],
      [4, 'invalid-identifier'],
    ]);
    const text = await cli('marketing', 'check', file('list.csv', 'Name,Email\nAnn,ann@example.org\nBen,ben@example.org\n'), '--purpose', 'newsletter', '--channel', 'email', '--only', 'blocked');
    expect(text.stdout).toBe('3\tblocked\tno-consent\tben@example.org\n');
    expect(text.stderr).toMatch(/2 recipients for newsletter by email: 1 allowed, 1 blocked/);
    // Each code printed is explained in plain words beneath the summary.
    expect(text.stderr).toContain('  no-consent: Blocked: this purpose needs consent and the person has not given it for this channel.\n');

    // Calls on legitimate interests: stale until the TPS register is imported.
    const calls = await cli('marketing', 'check', file('calls.txt', '07700900201\n07700900202\n'), '--purpose', 'offers', '--channel', 'phone');
    expect(calls.stdout).toMatch(/tps-stale/);
    expect(calls.stderr).toMatch(/TPS register has never been imported/);
    expect((await cli('marketing', 'tps', 'import', file('tps.txt', '07700 900201\n'), '--register', 'tps')).stdout).toMatch(/TPS: 1 numbers imported/);
    expect((await cli('marketing', 'tps', 'import', file('ctps.txt', ''), '--register', 'ctps')).code).toBe(0);
    expect((await cli('marketing', 'tps', 'status', '--json')).code).toBe(0);
    const screened = await cli('marketing', 'check', 'calls.txt', '--purpose', 'offers', '--channel', 'phone', '--json');
    expect(JSON.parse(screened.stdout).results.map((r: { reason: string }) => r.reason)).toEqual(['tps-registered', 'legitimate-interest']);

    // "Told us not to call", then the list out and back in as hashes.
    expect((await cli('marketing', 'suppress', '07700 900202', '--channel', 'phone', '--reason', 'do-not-call')).stdout).toMatch(/1 added/);
    const exported = await cli('marketing', 'suppressions', 'export');
    expect(exported.stdout).toMatch(/^hash,channel,scope,reason,created_at\n[0-9a-f]{64},phone,\*,do-not-call,/);
    // No number in any written form (a 64-hex hash may contain the digits "7700" by chance, so
    // look for the number itself, not a fragment of it).
    for (const form of ['07700 900202', '07700900202', '+447700900202', '447700900202', '7700900202']) expect(exported.stdout).not.toContain(form);
    expect((await cli('marketing', 'suppressions', 'import', file('export.csv', exported.stdout))).stdout).toBe('0 added\n');
    const plain = await cli('marketing', 'suppressions', 'import', file('plain.txt', 'ben@example.org\nrubbish\n'), '--channel', 'email');
    expect([plain.code, plain.stdout]).toEqual([1, '1 added, 0 already on the list, 1 rejected (lines 2)\n']);
    expect(JSON.parse((await cli('marketing', 'check', 'list.txt', '--purpose', 'newsletter', '--channel', 'email', '--json')).stdout).results[1].reason).toBe('suppressed');

    expect(JSON.parse((await cli('consent', 'renewals', '--json')).stdout)).toEqual({ due: 0, sent: 0, skipped: 0, failed: 0 });

    // Ann objects to direct marketing by phone: every consent withdrawn, every channel blocked.
    const objected = await cli('consent', 'object', ann, '--method', 'phone');
    expect([objected.code, objected.stdout]).toEqual([0, expect.stringMatching(/^objection recorded: 1 consent\(s\) withdrawn, [1-9]\d* suppression entr(y|ies) added; no marketing by any channel from now on\n$/)]);
    const after = await cli('marketing', 'check', file('ann.txt', 'ann@example.org\n'), '--purpose', 'offers', '--channel', 'post', '--json');
    expect(JSON.parse(after.stdout).results[0]).toMatchObject({ allowed: false, reason: 'suppressed' });
  });

  it('answers bad usage with a clear error and exit code 2, bad data with 1', async () => {
    file('list.txt', 'ann@example.org\n');
    expect((await cli('marketing', 'check', 'list.txt', '--channel', 'email')).code).toBe(2);
    expect((await cli('marketing', 'check', 'list.txt', '--purpose', 'newsletter', '--channel', 'fax')).code).toBe(2);
    const missing = await cli('marketing', 'check', 'no-such-file.txt', '--purpose', 'newsletter', '--channel', 'email');
    expect([missing.code, missing.stderr]).toEqual([1, 'error [VALIDATION_FAILED]: cannot read no-such-file.txt (ENOENT)\n']);
    expect((await cli('marketing', 'check', file('empty.txt', '\n\n'), '--purpose', 'newsletter', '--channel', 'email')).stderr).toMatch(/holds no recipients/);
    expect((await cli('marketing', 'check', 'list.txt', '--purpose', 'service', '--channel', 'email')).stderr).toMatch(/not direct marketing/);
    expect((await cli('consent', 'record', 'not-a-subject', '--purpose', 'newsletter', '--channel', 'email', '--action', 'given', '--method', 'form', '--wording', 'x')).code).toBe(1);
  });
});
