/**
 * The journey at the command line, on both databases: `steward policy promises` prints
 * every relationship's path (exit 1 while a promise is defeated); importing enquirers without
 * `--purpose` under the old declaration asks for it; under the example it holds them for the
 * enquiry follow-up, and the plan shows them due three months after the enquiry.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { useCliWorkspace } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/smart-computers.yaml');
const BEFORE = path.resolve(import.meta.dirname, '../../test/fixtures/promises/smart-computers-before.yaml');

describe('steward policy promises', () => {
  const cwd = tmpdir();
  it('prints every relationship\'s path beside the notice, and exits 0 when every promise holds', async () => {
    const r = await runCli(['policy', 'promises', EXAMPLE], { cwd });
    expect(r.code).toBe(0);
    for (const rel of ['customer', 'supplier', 'third-party-contact', 'prospect', 'enquirer', 'candidate', 'referee', 'other-contact']) expect(r.stdout).toMatch(new RegExp(`^${rel} \\(`, 'm'));
    expect(r.stdout).toMatch(/contact-details: held for enquiry-follow-up \(the default purposes\)\n\s+no marketing consent:\s+deleted 2026-05-01, 3 months after enquiry \(enquiry-follow-up, rule enquiry-three-months\)\n\s+consent given:\s+kept while marketing-consent holds/);
    expect(r.stdout).toMatch(/\n27 fixed-period promise\(s\), 0 defeated\n$/);
  });

  it('exits 1 and marks the defeated promise in the declaration as it was; --json for machines', async () => {
    const r = await runCli(['policy', 'promises', BEFORE], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/DEFEATED enquiry-follow-up: 3 months after your enquiry, then deleted unless you opted in to marketing\.\n\s+defeated by: quotations/);
    const j = await runCli(['policy', 'promises', BEFORE, '--json'], { cwd });
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ organisation: 'Smart Computers', defeated: 13 });
  });
});

describe.each(dialects)('importing enquirers on %s', (kind) => {
  const ws = useCliWorkspace(kind, { prefix: 'promises' });
  const cli = (policy: string, ...args: string[]) => ws.run(['--policy', policy, ...args]);

  beforeAll(async () => {
    writeFileSync(path.join(ws.dir, 'enquirers.csv'), 'contact-details\nbrowsing@example.com\n');
  });

  it('asks for --purpose where the purposes would keep the data for different periods', async () => {
    const r = await cli(BEFORE, 'subjects', 'import', 'enquirers.csv', '--relationship', 'prospect');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the purposes that use "contact-details" for a prospect keep it for different periods: quotations .*enquiry-follow-up \(deleted 3 months after enquiry unless marketing-consent\).*\(--purpose\)/);
  });

  it('holds them for following up the enquiry under the example: due three months after it', async () => {
    const imported = await cli(EXAMPLE, 'subjects', 'import', 'enquirers.csv', '--relationship', 'enquirer', '--json');
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: 1, rejected: 0 });
    const found = await cli(EXAMPLE, 'subjects', 'find', '--email', 'browsing@example.com', '--json');
    const id = (JSON.parse(found.stdout) as { subjects: Array<{ id: string }> }).subjects[0]!.id;
    expect((await cli(EXAMPLE, 'events', 'add', '--subject', id, '--type', 'enquiry', '--date', '2026-05-01')).code).toBe(0);
    const early = await cli(EXAMPLE, 'retention', 'plan', '--as-of', '2026-07-31', '--subject', id);
    expect(early.stdout).toMatch(/contact-details.*kept until 2026-08-01: enquiry-follow-up \(rule enquiry-three-months\)/);
    const due = await cli(EXAMPLE, 'retention', 'plan', '--as-of', '2026-08-01', '--subject', id);
    expect(due.stdout).toMatch(/contact-details.*due: enquiry-follow-up \(rule enquiry-three-months\): deleted on 2026-08-01, 3 months after enquiry on 2026-05-01/);
  });
});
