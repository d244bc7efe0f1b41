import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/database.js';
import { loadPolicy } from '../policy/policy.loader.js';
import { fixedClock } from '../shared/clock.js';
import { runCli } from '../../test/support/cli.js';
import { cliDatabase, type CliDatabase } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { bannerConfig } from './cookies.banner.js';
import { NoticeVersions, recordCookieChoice } from './cookies.service.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/cookies/policy.yaml');

describe.each(dialects)('steward cookies log on %s', (kind) => {
  let dir: string;
  let cliDb: CliDatabase;
  let database: Database;
  const cli = (...args: string[]) => runCli(['--data-dir', 'data', '--policy', POLICY, ...cliDb.args, ...args], { cwd: dir });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-cookies-cli-'));
    cliDb = await cliDatabase(kind, 'cookies');
    // The server's side: three visitors' choices over two days, written as the endpoint would.
    expect((await cli('cookies', 'log', '--from', '2026-03-01', '--to', '2026-03-01')).code).toBe(0);
    database = await openDatabase(cliDb.args[1] ?? `sqlite:${path.join(dir, 'data', 'steward.sqlite')}`, { poolSize: 1 });
    const loaded = await loadPolicy(POLICY);
    const banner = bannerConfig(loaded);
    const versions = new NoticeVersions(loaded.hash);
    const clock = fixedClock('2026-03-02T09:00:00Z');
    const base = { noticeVersion: loaded.hash, bannerVersion: banner.bannerVersion, gpc: false, method: 'banner' as const };
    await recordCookieChoice(database.db, clock, banner, versions, { ...base, consentId: 'EEEEEEEEEEEEEEEEEEEEEE', choices: { analytics: true, marketing: true, statistics: true } });
    await recordCookieChoice(database.db, clock, banner, versions, { ...base, choices: { analytics: false, marketing: false, statistics: false }, gpc: true, method: 'gpc' });
    clock.set('2026-03-03T09:00:00Z');
    await recordCookieChoice(database.db, clock, banner, versions, { ...base, consentId: 'EEEEEEEEEEEEEEEEEEEEEE', choices: { analytics: false, marketing: true, statistics: true }, method: 'settings' });
  });
  afterAll(async () => {
    await database?.close();
    await cliDb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints one visitor\'s choices by consent id, and audits the look-up', async () => {
    const r = await cli('cookies', 'log', '--id', 'EEEEEEEEEEEEEEEEEEEEEE');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('consent EEEEEEEEEEEEEEEEEEEEEE: 2 choices');
    expect(r.stdout).toMatch(/2026-03-02T09:00:00.000Z {2}accept-all +by banner: analytics yes, marketing yes, statistics yes/);
    expect(r.stdout).toMatch(/2026-03-03T09:00:00.000Z {2}custom +by settings: analytics no/);
    const json = JSON.parse((await cli('cookies', 'log', '--id', 'EEEEEEEEEEEEEEEEEEEEEE', '--json')).stdout);
    expect(json.records).toHaveLength(2);
    const audit = await database.db.selectFrom('audit_log').select('action').where('action', '=', 'cookies.consent.read').execute();
    expect(audit).toHaveLength(2);
    const missing = await cli('cookies', 'log', '--id', 'FFFFFFFFFFFFFFFFFFFFFF');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');
  });

  it('exports the counts per day as text, JSON and CSV', async () => {
    const text = await cli('cookies', 'log', '--from', '2026-03-01', '--to', '2026-03-31');
    expect(text.stdout).toContain('2026-03-01 to 2026-03-31: 3 choices; accept all 33%, reject all 33%, custom 33%; GPC 1');
    expect(text.stdout).toContain('2026-03-02       2  accept 1, reject 1, custom 0, GPC 1');
    const json = JSON.parse((await cli('cookies', 'log', '--from', '2026-03-01', '--to', '2026-03-31', '--json')).stdout);
    expect(json.totals.categories.analytics).toEqual({ granted: 1, refused: 2 });
    const csv = (await cli('cookies', 'log', '--from', '2026-03-01', '--to', '2026-03-31', '--csv')).stdout.split('\r\n');
    expect(csv[0]).toBe('day,choices,accept-all,reject-all,custom,gpc,analytics granted,analytics refused,marketing granted,marketing refused,statistics granted,statistics refused');
    expect(csv[2]).toBe('2026-03-03,1,0,0,1,0,0,1,1,0,1,0');
    const bad = await cli('cookies', 'log', '--from', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_FAILED');
  });
});
