/**
 * Issue 12, item 9: the SQLite database (with its -wal and -shm) is private to its owner, and
 * Steward refuses one that group or others can read, as it refuses such a key file.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { REGISTER_POLICY } from '../../test/support/runtime.js';
import { openDatabase } from './database.js';

const modeOf = (p: string): number => statSync(p).mode & 0o777;

describe.skipIf(process.platform === 'win32')('the SQLite files are private', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-perm-'));
    // The usual default, under which files come out 0644 and folders 0755 unless made otherwise.
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data folder 0700 and the database, -wal and -shm 0600', async () => {
    const data = path.join(dir, 'data');
    const r = await runCli(['--policy', REGISTER_POLICY, '--data-dir', data, 'users', 'create', '--username', 'ann', '--role', 'staff'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(modeOf(data)).toBe(0o700);
    expect(modeOf(path.join(data, 'steward.key'))).toBe(0o600);
    // -wal and -shm exist while a connection is open.
    const db = await openDatabase(`sqlite:${path.join(data, 'steward.sqlite')}`);
    try {
      for (const f of ['steward.sqlite', 'steward.sqlite-wal', 'steward.sqlite-shm']) expect(modeOf(path.join(data, f)), f).toBe(0o600);
    } finally {
      await db.close();
    }
  });

  it('refuses a database file, a -wal file or a folder that others can read, saying how to fix it', async () => {
    const data = path.join(dir, 'data');
    const file = path.join(data, 'steward.sqlite');
    await (await openDatabase(`sqlite:${file}`)).close();

    chmodSync(file, 0o644);
    await expect(openDatabase(`sqlite:${file}`)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`Fix: chmod 600 ${file}`) });
    const cli = await runCli(['--policy', REGISTER_POLICY, '--data-dir', data, 'users', 'list'], { cwd: dir });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/accessible by group or others \(mode 0644\)/);
    chmodSync(file, 0o600);

    const db = await openDatabase(`sqlite:${file}`);
    chmodSync(`${file}-wal`, 0o640);
    await expect(openDatabase(`sqlite:${file}`)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${file}-wal`) });
    chmodSync(`${file}-wal`, 0o600);
    await db.close();

    chmodSync(data, 0o755);
    await expect(openDatabase(`sqlite:${file}`)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`Fix: chmod 700 ${data}`) });
    chmodSync(data, 0o700);
    await (await openDatabase(`sqlite:${file}`)).close();
  });

  it('makes a new folder private even inside a shared one', async () => {
    const shared = path.join(dir, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    const db = await openDatabase(`sqlite:${path.join(shared, 'inner', 'steward.sqlite')}`);
    await db.close();
    expect(modeOf(path.join(shared, 'inner'))).toBe(0o700);
    expect(modeOf(path.join(shared, 'inner', 'steward.sqlite'))).toBe(0o600);
  });
});
