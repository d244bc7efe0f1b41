import { copyFileSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/breaches');
const HOUR = 3_600_000;

describe.each(dialects)('steward breaches on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'brc', policy: path.join(FIXTURES, 'policy.yaml') });
  let smtp: TestSmtp;
  let ref: string;
  const cli = (...args: string[]) => ws.run(args, { STEWARD_SMTP_URL: smtp.url });

  beforeAll(async () => {
    for (const f of ['customers.csv', 'identifiers.txt']) copyFileSync(path.join(FIXTURES, f), path.join(ws.dir, f));
    smtp = await startTestSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('opens a breach, reminds the privacy officer, selects the people, reports and tells them', async () => {
    expect((await cli('subjects', 'import', 'customers.csv', '--relationship', 'customer')).code).toBe(0);
    // Found 30 hours ago: 42 hours are left.
    const aware = new Date(Date.now() - 30 * HOUR).toISOString();
    const opened = await cli(
      'breaches', 'open',
      '--title', 'Customer list sent to a supplier',
      '--aware', aware,
      '--description', 'A customer export was attached to an email to a supplier.',
      '--nature', 'confidentiality',
      '--category', 'name', '--category', 'email-address', '--category', 'phone',
      '--consequences', 'Phishing.',
      '--measures-taken', 'The supplier deleted it.',
      '--json',
    );
    expect(opened.stderr).toBe('');
    expect(opened.code).toBe(0);
    const b = JSON.parse(opened.stdout);
    ref = b.reference;
    expect(b.clock.windowHours).toBe(72);
    expect(Date.parse(b.clock.deadline) - Date.parse(b.clock.awareAt)).toBe(72 * HOUR);
    expect([41, 42]).toContain(b.clock.hoursRemaining);

    const remind = await cli('breaches', 'remind');
    expect(remind.code).toBe(0);
    expect(remind.stdout).toContain(`${ref}  48h       sent`);
    await smtp.waitFor(1);
    expect(smtp.messages[0]!.envelopeTo).toEqual(['dpo@kite.example']);
    expect((await cli('breaches', 'remind', '--json')).stdout).toContain('"outcomes": []');

    const sel = await cli('breaches', 'affected', ref, '--relationship', 'customer');
    expect(sel.code).toBe(0);
    expect(sel.stdout).toContain('now affected: 3 people, 9 records');
    const ids = await cli('breaches', 'affected', ref, '--identifiers', 'identifiers.txt', '--replace');
    expect(ids.stdout).toContain('identifiers: 4 given, 1 not in the register, 0 not valid, 1 cells ignored');
    expect(ids.stdout).toContain('now affected: 3 people');
    expect(ids.stdout + ids.stderr).not.toContain('example.org');

    expect((await cli('breaches', 'assess', ref, '--risk', 'high', '--reasons', 'Phishing risk.')).code).toBe(0);
    expect((await cli('breaches', 'decide', ref, '--ico', 'notify', '--reason', 'Risky.')).code).toBe(0);
    expect((await cli('breaches', 'decide', ref, '--people', 'notify', '--reason', 'High risk.', '--by', 'Board')).code).toBe(0);
    const ico = await cli('breaches', 'notify', ref, '--ico', '--phase', 'initial', '--ico-reference', 'IC-42');
    expect(ico.stdout).toContain('reported to the ICO within time');

    // A dry run: the count and the letter, nothing sent; then a send that must match the count.
    const dry = await cli('breaches', 'notify', ref, '--people', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`${ref}: dry run, nothing sent. Would email 3 people; 0 affected have no email address (use --post); 0 told before.`);
    expect(dry.stdout).toContain(`--people --expect 3`);
    expect(dry.stdout).toContain('What we have done\n-----------------\nThe supplier deleted it.');
    expect(dry.stdout).not.toContain('example.org');
    expect(smtp.messages).toHaveLength(1);
    const wrong = await cli('breaches', 'notify', ref, '--people', '--expect', '2');
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('preview again')]);
    expect(smtp.messages).toHaveLength(1);
    const told = await cli('breaches', 'notify', ref, '--people', '--expect', '3');
    expect([told.code, told.stdout]).toEqual([0, `${ref}: emailed 3 of 3 (0 failed, 0 without an email address); 0 told before\n`]);
    await smtp.waitFor(4);
    expect(smtp.messages.slice(1).flatMap((m) => m.envelopeTo).sort()).toEqual(['ada@example.org', 'charles@example.org', 'grace@example.org']);

    const letters = await cli('breaches', 'notify', ref, '--people', '--post', '--out', 'out/letters.csv', '--everyone');
    expect(letters.code).toBe(0);
    const lettersFile = path.join(ws.dir, 'out/letters.csv');
    expect(statSync(lettersFile).mode & 0o777).toBe(0o600);
    const rows = parse(readFileSync(lettersFile), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.address).sort()).toEqual(['Ada Lovelace', 'Charles Babbage', 'Grace Hopper']);
    expect(rows[0]!.letter).toContain('What you can do');

    const html = await cli('breaches', 'report', ref, '--out', 'report.html');
    expect(html.code).toBe(0);
    const page = readFileSync(path.join(ws.dir, 'report.html'), 'utf8');
    expect(page).toContain('Personal data breach report');
    expect(page).toContain('Priya Shah');
    const json = JSON.parse((await cli('breaches', 'report', ref, '--format', 'json')).stdout);
    expect(json).toMatchObject({ reference: ref, phase: 'update', nature: { approximatePeople: 3 }, previousReports: [{ phase: 'initial', icoReference: 'IC-42' }] });

    const show = await cli('breaches', 'show', ref, '--history');
    expect(show.stdout).toContain('reported to the ICO within time');
    expect(show.stdout).toContain('3 by email');
    expect(show.stdout).toMatch(/history:\n\s+1 {2}\w{3} /);
    const list = JSON.parse((await cli('breaches', 'list', '--json')).stdout);
    expect(list.breaches.map((x: { reference: string }) => x.reference)).toEqual([ref]);

    const exported = await cli('breaches', 'export', '--out', 'register.csv');
    expect(exported.stderr).toContain('wrote 1 breach');
    expect(statSync(path.join(ws.dir, 'register.csv')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(ws.dir, 'register.csv'), 'utf8')).toContain(ref);
    expect((await cli('breaches', 'close', ref, '--reason', 'Done.')).stdout).toContain('closed');
  });

  it('answers bad usage and bad input with an error and a non-zero exit, without a stack trace', async () => {
    const neither = await cli('breaches', 'decide', ref, '--reason', 'x');
    expect([neither.code, neither.stderr]).toEqual([2, expect.stringContaining('give one of --ico or --people')]);
    expect((await cli('breaches', 'notify', ref)).code).toBe(2);
    expect((await cli('breaches', 'notify', ref, '--people', '--post')).code).toBe(2);
    expect((await cli('breaches', 'assess', ref, '--risk', 'dire', '--reasons', 'x')).code).toBe(2);
    const garbage = await cli('breaches', 'open', '--title', 'x', '--aware', 'yesterday teatime');
    expect([garbage.code, garbage.stderr]).toEqual([1, expect.stringContaining('error [VALIDATION_FAILED]: awareAt')]);
    const notFound = await cli('breaches', 'show', 'BR-2001-001');
    expect([notFound.code, notFound.stderr]).toEqual([1, expect.stringContaining('NOT_FOUND')]);
    const badId = await cli('breaches', 'show', '<script>');
    expect([badId.code, badId.stderr]).toEqual([1, expect.stringContaining('VALIDATION_FAILED')]);
    const missing = await cli('breaches', 'affected', ref, '--identifiers', 'nope.txt');
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('cannot read identifier file')]);
    const closed = await cli('breaches', 'assess', ref, '--risk', 'high', '--reasons', 'x');
    expect([closed.code, closed.stderr]).toEqual([1, expect.stringContaining('CONFLICT')]);
    const people = await cli('breaches', 'open', '--title', 'x', '--aware', new Date().toISOString(), '--people', 'lots');
    expect(people.code).not.toBe(0);
    expect(people.stderr).not.toContain('    at ');
  });
});
