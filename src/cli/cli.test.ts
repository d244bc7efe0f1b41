import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import SQLite from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { REGISTER_POLICY } from '../../test/support/runtime.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'steward-cli-'));
});

describe('steward CLI', () => {
  it('prints help and rejects unknown commands with exit 2', async () => {
    const help = await runCli(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    for (const c of ['serve', 'init', 'policy', 'audit', 'users', 'tokens', 'keys']) expect(help.stdout).toContain(c);
    const bad = await runCli(['frobnicate'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown command/);
  });

  it('init writes a starter declaration and its JSON Schema that check cleanly', async () => {
    const init = await runCli(['init'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(existsSync(path.join(dir, 'steward.yaml'))).toBe(true);
    const schema = JSON.parse(readFileSync(path.join(dir, 'steward.schema.json'), 'utf8'));
    expect(schema.properties.organisation).toBeDefined();
    const check = await runCli(['policy', 'check', '--json'], { cwd: dir });
    const report = JSON.parse(check.stdout);
    expect(report.errors).toBe(0);
    expect(check.code).toBe(0);
    expect((await runCli(['init'], { cwd: dir })).code).toBe(1);
    expect((await runCli(['init', '--force'], { cwd: dir })).code).toBe(0);
  });

  it('check exits 1 on errors with file:line:column, 2 when the file cannot be read or parsed', async () => {
    await runCli(['init'], { cwd: dir });
    const text = readFileSync(path.join(dir, 'steward.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'typo.yaml'), text.replace('    lawful_basis: contract\n', '    lawfull_basis: contract\n'));
    const typo = await runCli(['policy', 'check', 'typo.yaml'], { cwd: dir });
    expect(typo.code).toBe(1);
    const line = text.split('\n').findIndex((l) => l === '    lawful_basis: contract') + 1;
    expect(typo.stdout).toContain(`typo.yaml:${line}:`);
    expect(typo.stdout).toContain('lawfull_basis');
    writeFileSync(path.join(dir, 'broken.yaml'), 'version: 1\norganisation: [\n');
    const broken = await runCli(['policy', 'check', 'broken.yaml'], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+/);
    expect((await runCli(['policy', 'check', 'missing.yaml'], { cwd: dir })).code).toBe(2);
    expect((await runCli(['policy', 'check', '--json'], { cwd: path.join(dir, 'nowhere') })).code).toBe(2);
  });

  it('renders the notice and the record of processing', async () => {
    await runCli(['init'], { cwd: dir });
    const html = await runCli(['policy', 'render', '--format', 'html'], { cwd: dir });
    expect(html.code).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>/i);
    expect(html.stdout).toContain('Example Trading');
    const md = await runCli(['policy', 'render', '--format', 'md', '--out', 'notice.md'], { cwd: dir });
    expect(md.code).toBe(0);
    expect(readFileSync(path.join(dir, 'notice.md'), 'utf8')).toContain('Example Trading');
    const csv = await runCli(['policy', 'ropa', '--format', 'csv'], { cwd: dir });
    expect(csv.stdout.split('\r\n').filter(Boolean)).toHaveLength(1 + 3);
    const xlsx = await runCli(['policy', 'ropa', '--format', 'xlsx', '--out', 'ropa.xlsx'], { cwd: dir });
    expect(xlsx.code).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(dir, 'ropa.xlsx'));
    expect(wb.worksheets[0]!.rowCount).toBe(4);
    expect((await runCli(['policy', 'render', '--format', 'pdf'], { cwd: dir })).code).toBe(2);
  });

  it('serves the demo: first run creates the owner, says the notice is a draft until published, and it stops cleanly', async () => {
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const run = runCli(['serve', '--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data'), '--port', '0'], { cwd: dir, stopSignal: stopped });
    const keyFile = path.join(dir, 'data', 'steward.key');
    // Wait for start-up: the key file appears when the keys are opened.
    for (let i = 0; i < 100 && !existsSync(keyFile); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stop();
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/First run: created the owner account/);
    // The one-time password goes to a 0600 file in the data folder, never to the output (logs).
    const credentials = path.join(dir, 'data', 'first-run-owner.txt');
    expect(result.stderr).toContain(credentials);
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    const password = /^password: (\S{12,})$/m.exec(readFileSync(credentials, 'utf8'))![1]!;
    expect(result.stderr + result.stdout).not.toContain(password);
    expect(result.stderr).toMatch(/privacy notice {3}http:\/\/127\.0\.0\.1:\d+\/privacy {3}\(DRAFT, not published: run "steward policy publish"\)/);
    expect(result.stderr).toMatch(/declaration {6}\d+ error\(s\), \d+ warning\(s\)/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // The scheduler ran its jobs once on start-up.
    const db = new SQLite(path.join(dir, 'data', 'steward.sqlite'), { readonly: true });
    const jobs = db.prepare('select name, last_status from job_runs order by name').all() as Array<{ name: string; last_status: string }>;
    db.close();
    expect(jobs.map((j) => j.name)).toEqual(['accountability-reviews', 'audit-checkpoint', 'breach-reminders', 'complaint-reminders', 'consent-renewals', 'key-epochs', 'request-pack-purge', 'request-reminders', 'retention']);
    expect(jobs.find((j) => j.name === 'audit-checkpoint')?.last_status).toMatch(/^checkpoint at entry \d+ mailed$/);
    expect(jobs.find((j) => j.name === 'request-pack-purge')?.last_status).toBe('purged 0 expired packs');
    expect(jobs.find((j) => j.name === 'retention')?.last_status).toMatch(/^deleted 0, anonymised 0$/);
    // Second start: no new owner.
    const again = runCli(['serve', '--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data'), '--port', '0'], { cwd: dir, stopSignal: new Promise((r) => setTimeout(r, 300)) });
    expect((await again).stderr).not.toMatch(/First run/);
  });

  it('refuses to start with a bad setting, naming it', async () => {
    const r = await runCli(['serve', '--policy', REGISTER_POLICY, '--port', 'http'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port/);
    const env = await runCli(['serve', '--policy', REGISTER_POLICY], { cwd: dir, env: { STEWARD_DATABASE_URL: 'mysql://x' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/STEWARD_DATABASE_URL/);
  });

  it('manages users and tokens, rotates keys, and verifies the audit trail, catching tampering', async () => {
    const base = ['--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data')];
    const user = await runCli([...base, 'users', 'create', '--username', 'dpo', '--role', 'dpo', '--job-role', 'it-manager', '--json'], { cwd: dir });
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout).user).toMatchObject({ username: 'dpo', role: 'dpo', jobRoles: ['it-manager'] });
    expect((await runCli([...base, 'users', 'create', '--username', 'dpo', '--role', 'dpo'], { cwd: dir })).code).toBe(1);
    expect((await runCli([...base, 'users', 'create', '--username', 'x', '--role', 'king'], { cwd: dir })).code).toBe(2);
    // Tokens belong to the owner account; there is none yet.
    expect((await runCli([...base, 'tokens', 'create', '--name', 'crm'], { cwd: dir })).stderr).toMatch(/no owner account/);
    await runCli([...base, 'users', 'create', '--username', 'boss', '--role', 'owner'], { cwd: dir });
    const token = await runCli([...base, 'tokens', 'create', '--name', 'crm', '--role', 'staff'], { cwd: dir });
    expect(token.stdout).toMatch(/^stw_[A-Za-z0-9_-]{43}\n$/);
    const rotate = await runCli([...base, 'keys', 'rotate', '--json'], { cwd: dir });
    expect(JSON.parse(rotate.stdout)).toMatchObject({ version: 2 });
    const ok = await runCli([...base, 'audit', 'verify'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 4 entries/);
    const log = await runCli([...base, 'audit', 'log', '--json'], { cwd: dir });
    expect(JSON.parse(log.stdout).map((e: { action: string }) => e.action)).toEqual(['keys.rotate', 'token.create', 'user.create', 'user.create']);
    const db = new SQLite(path.join(dir, 'data', 'steward.sqlite'));
    db.prepare("update audit_log set actor = 'someone-else' where seq = 2").run();
    db.close();
    const bad = await runCli([...base, 'audit', 'verify', '--json'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).problem).toMatchObject({ kind: 'altered', seq: 2 });
  });
});
