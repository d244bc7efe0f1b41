/**
 * Issue 12: a missing key file is never silently replaced (item 7), and running instances pick up
 * a key rotation (item 8).
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { cliDatabase, type CliDatabase } from '../../test/support/cli-database.js';
import { dialects } from '../../test/support/databases.js';
import { REGISTER_POLICY } from '../../test/support/runtime.js';

describe.each(dialects)('the key file on %s', (kind) => {
  let dir: string;
  let db: CliDatabase;
  let base: string[];
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-keys-'));
    db = await cliDatabase(kind, 'keys');
    base = ['--policy', REGISTER_POLICY, '--data-dir', path.join(dir, 'data'), ...db.args];
  });
  afterEach(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is created for a new database, but a missing one is never replaced once the database holds keys', async () => {
    const keyFile = path.join(dir, 'data', 'steward.key');
    expect((await runCli([...base, 'users', 'create', '--username', 'ann', '--role', 'staff'], { cwd: dir })).code).toBe(0);
    expect(existsSync(keyFile)).toBe(true);
    unlinkSync(keyFile);
    const r = await runCli([...base, 'users', 'list'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The key file ${keyFile} is missing, but the database already holds data keys`);
    expect(r.stderr).toMatch(/Restore the key file from your backup/);
    expect(existsSync(keyFile)).toBe(false);
  });
});
