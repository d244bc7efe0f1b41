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
import { actorWith, createTestRuntime, REGISTER_POLICY } from '../../test/support/runtime.js';
import { fileKekProvider } from './kek.js';
import { Keyring } from './keyring.js';
import { createSubject } from '../register/register.service.js';
import { getSubject } from '../register/register.read.js';

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

describe.each(dialects)('a key rotation reaches a running instance (%s)', (kind) => {
  it('wraps new keys with the new version without a restart, and reads the old ones', async () => {
    const server = await createTestRuntime(kind, { keyFile: true });
    try {
      const keyFile = path.join(server.dataDir, 'steward.key');
      // As openRuntime does for every process.
      const stopWatching = server.keyring.watch(server.database.db);
      // A second process on the same database and key file: the console running `keys rotate`.
      const console_ = { ...server, keyring: await Keyring.open(server.database.db, fileKekProvider(keyFile)) };
      const staff = actorWith('staff');
      const versionOf = async (id: string) =>
        Number((await server.database.db.selectFrom('subject_keys').select('kek_version').where('subject_id', '=', id).executeTakeFirstOrThrow()).kek_version);
      const before = await createSubject(server, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'before@example.org' }] });
      expect(await versionOf(before.id)).toBe(1);

      const rotation = console_.keyring.rotate(server.database.db);
      // The running instance switches while the rotation is still under way…
      for (let i = 0; i < 100 && server.keyring.kekVersion === 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(server.keyring.kekVersion).toBe(2);
      const during = await createSubject(server, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'during@example.org' }] });
      expect(await rotation).toMatchObject({ version: 2 });
      stopWatching();

      const after = await createSubject(server, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'after@example.org' }] });
      expect(server.keyring.kekVersion).toBe(2);
      expect(await versionOf(after.id)).toBe(2);
      // Both people read back through the server's keyring: the old subject's key was re-wrapped.
      expect(await versionOf(before.id)).toBe(2);
      expect(await versionOf(during.id)).toBe(2);
      for (const s of [before, during, after]) expect((await getSubject(server, staff, s.id, 'service')).records).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
