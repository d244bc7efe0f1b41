import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../shared/clock.js';
import { StewardError } from '../shared/errors.js';
import { unwrapKey, wrapKey, generateDataKey } from './envelope.js';
import {
  DEFAULT_KEY_FILE,
  defaultKekProvider,
  envKekProvider,
  fileKekProvider,
  generateEnvKekValue,
  MASTER_KEY_ENV,
  readKeyFileVersions,
} from './kek.js';

const posix = process.platform !== 'win32';

async function rejection(p: Promise<unknown>): Promise<StewardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    return e as StewardError;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): StewardError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StewardError);
    return e as StewardError;
  }
  throw new Error('expected an error');
}

describe('fileKekProvider', () => {
  let dir: string;
  let keyPath: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-kek-'));
    keyPath = join(dir, 'data', 'steward.key');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.runIf(posix)('creates the key file on first use with mode 0600, whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      const provider = fileKekProvider(keyPath, { clock: fixedClock('2025-01-02T03:04:05Z') });
      const { version, key } = await provider.current();
      expect(version).toBe(1);
      expect(key).toHaveLength(32);
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      const json = JSON.parse(await readFile(keyPath, 'utf8'));
      expect(json).toMatchObject({ format: 'steward-kek', formatVersion: 1, current: 1 });
      expect(json.keys).toEqual([{ version: 1, key: key.toString('base64'), createdAt: '2025-01-02T03:04:05.000Z' }]);
    } finally {
      process.umask(old);
    }
  });

  it('reuses an existing key file rather than replacing it', async () => {
    const a = await fileKekProvider(keyPath).current();
    const b = await fileKekProvider(keyPath).current();
    expect(b.version).toBe(1);
    expect(b.key.equals(a.key)).toBe(true);
  });

  it('agrees on one key when several processes start at once', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => fileKekProvider(keyPath).current()));
    for (const r of results) expect(r.key.equals((results[0] as { key: Buffer }).key)).toBe(true);
    expect((await readKeyFileVersions(keyPath)).versions).toEqual([1]);
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(['steward.key']); // no temporary files left
  });

  it.runIf(posix)('refuses an existing key file readable by group or others, naming the path and the fix', async () => {
    await fileKekProvider(keyPath).current();
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
      await chmod(keyPath, mode);
      const e = await rejection(fileKekProvider(keyPath).current());
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toContain(keyPath);
      expect(e.message).toContain(`chmod 600 ${keyPath}`);
      expect(e.details[0]?.path).toBe(keyPath);
    }
    await chmod(keyPath, 0o600);
    await expect(fileKekProvider(keyPath).current()).resolves.toMatchObject({ version: 1 });
    await chmod(keyPath, 0o400); // read-only for the owner is fine too
    await expect(fileKekProvider(keyPath).current()).resolves.toMatchObject({ version: 1 });
  });

  it.runIf(posix)('recovers once the mode is fixed, without a restart', async () => {
    await fileKekProvider(keyPath).current();
    await chmod(keyPath, 0o644);
    const provider = fileKekProvider(keyPath);
    expect((await rejection(provider.current())).code).toBe('CONFIG_INVALID');
    await chmod(keyPath, 0o600);
    await expect(provider.current()).resolves.toMatchObject({ version: 1 });
  });

  it('rotate() adds a version and keeps the old ones, so old wrapped keys still unwrap', async () => {
    const provider = fileKekProvider(keyPath);
    const v1 = await provider.current();
    const dek = generateDataKey();
    const wrapped = wrapKey(v1.key, v1.version, dek, 'subject-key:s1');

    expect(await provider.rotate?.()).toBe(2);
    const v2 = await provider.current();
    expect(v2.version).toBe(2);
    expect(v2.key.equals(v1.key)).toBe(false);
    expect((await provider.get(1)).equals(v1.key)).toBe(true);
    expect(unwrapKey(await provider.get(1), wrapped, 'subject-key:s1').equals(dek)).toBe(true);

    expect(await provider.rotate?.()).toBe(3);
    expect(await readKeyFileVersions(keyPath)).toEqual({ current: 3, versions: [1, 2, 3] });
    if (posix) expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    expect((await readdir(join(dir, 'data'))).sort()).toEqual(['steward.key']); // no temp or lock files

    // A fresh provider (another process) sees all versions.
    const other = fileKekProvider(keyPath);
    expect((await other.current()).version).toBe(3);
    expect((await other.get(1)).equals(v1.key)).toBe(true);
    expect((await other.get(2)).equals(v2.key)).toBe(true);
  });

  it('a provider loaded before another process rotated still finds the new version', async () => {
    const early = fileKekProvider(keyPath);
    await early.current();
    const v2 = await fileKekProvider(keyPath).rotate?.();
    expect(v2).toBe(2);
    const key2 = await fileKekProvider(keyPath).get(2);
    expect((await early.get(2)).equals(key2)).toBe(true);
  });

  it('serialises concurrent rotations: no version is lost or reused', async () => {
    await fileKekProvider(keyPath).current();
    const versions = await Promise.all(Array.from({ length: 5 }, () => fileKekProvider(keyPath).rotate?.()));
    expect([...versions].sort()).toEqual([2, 3, 4, 5, 6]);
    expect(await readKeyFileVersions(keyPath)).toEqual({ current: 6, versions: [1, 2, 3, 4, 5, 6] });
  });

  it('lists its epochs with their creation times and retires old ones for good, never the current one', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const provider = fileKekProvider(keyPath, { clock });
    await provider.current();
    clock.set('2026-02-01T00:00:00Z');
    await provider.rotate!();
    expect(await provider.epochs!()).toEqual([
      { version: 1, createdAt: '2026-01-01T00:00:00.000Z' },
      { version: 2, createdAt: '2026-02-01T00:00:00.000Z' },
    ]);
    await expect(provider.retire!([2])).rejects.toMatchObject({ code: 'CONFLICT' });
    await provider.retire!([1]);
    expect(await readKeyFileVersions(keyPath)).toEqual({ current: 2, versions: [2] });
    // Gone for this provider and for one that reads the file afresh.
    await expect(provider.get(1)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(fileKekProvider(keyPath).get(1)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
  });

  it('throws CONFIG_INVALID for an unknown version', async () => {
    const provider = fileKekProvider(keyPath);
    const e = await rejection(provider.get(9));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('version 9');
  });

  it('refuses a corrupt key file without echoing its contents', async () => {
    const secret = randomBytes(32).toString('base64');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'data'));
    await writeFile(keyPath, `{"format":"steward-kek", "oops": "${secret}"`, { mode: 0o600 });
    const e1 = await rejection(fileKekProvider(keyPath).current());
    expect(e1.code).toBe('CONFIG_INVALID');
    expect(e1.message).toContain(keyPath);
    expect(e1.message).not.toContain(secret);

    await writeFile(keyPath, JSON.stringify({ format: 'steward-kek', formatVersion: 1, current: 1, keys: [{ version: 1, key: secret.slice(0, 20) }] }));
    const e2 = await rejection(fileKekProvider(keyPath).current());
    expect(e2.code).toBe('CONFIG_INVALID');
    expect(e2.message).toMatch(/32 bytes/);
    expect(e2.message).not.toContain(secret.slice(0, 20));

    await writeFile(keyPath, JSON.stringify({ format: 'steward-kek', formatVersion: 1, current: 2, keys: [{ version: 1, key: secret }] }));
    expect((await rejection(fileKekProvider(keyPath).current())).message).toMatch(/"current" names version 2/);
  });

  it('hands out copies: changing a returned key does not change the provider', async () => {
    const provider = fileKekProvider(keyPath);
    const a = await provider.current();
    const copy = Buffer.from(a.key);
    a.key.fill(0);
    expect((await provider.current()).key.equals(copy)).toBe(true);
    expect((await provider.get(1)).equals(copy)).toBe(true);
  });
});

describe('envKekProvider', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  const k3url = randomBytes(32).toString('base64url');

  it('parses versions; the highest is current and older ones remain available', async () => {
    const provider = envKekProvider(`v2:${k2}, v1:${k1}`);
    expect(provider.id).toBe(`env:${MASTER_KEY_ENV}`);
    const current = await provider.current();
    expect(current.version).toBe(2);
    expect(current.key.toString('base64')).toBe(k2);
    expect((await provider.get(1)).toString('base64')).toBe(k1);
    expect(provider.rotate).toBeUndefined();
    expect((await rejection(provider.get(3))).code).toBe('CONFIG_INVALID');
  });

  it('accepts base64url and unpadded keys', async () => {
    expect((await envKekProvider(`v1:${k3url}`).current()).key.toString('base64url')).toBe(k3url);
    expect((await envKekProvider(`v1:${k1.replace(/=$/, '')}`).current()).key.toString('base64')).toBe(k1);
  });

  it('rejects malformed values with CONFIG_INVALID and never echoes the value', () => {
    const short = randomBytes(16).toString('base64');
    const long = randomBytes(48).toString('base64');
    const cases = [
      k1, // no version
      `1:${k1}`,
      `v0:${k1}`,
      `v1:${short}`,
      `v1:${long}`,
      `v1:${k1},v1:${k2}`,
      `v1:${k1},`,
      `v1:${k1};v2:${k2}`,
      `v1:${k1.slice(0, 20)}!!${k1.slice(22)}`,
      'v1:',
      '',
      '   ',
    ];
    for (const value of cases) {
      const e = thrown(() => envKekProvider(value, 'MY_KEY'));
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toContain('MY_KEY');
      for (const secret of [k1, k2, short, long, k1.slice(0, 12), k2.slice(0, 12), short.slice(0, 12), long.slice(0, 12)]) {
        expect(e.message).not.toContain(secret);
        expect(JSON.stringify(e.details)).not.toContain(secret);
      }
    }
    expect(thrown(() => envKekProvider(undefined)).message).toContain('STEWARD_MASTER_KEY is not set');
    expect(thrown(() => envKekProvider(`v1:${k1},v2:${short}`)).message).toContain('entry 2 of 2');
  });

  it('generateEnvKekValue() makes a value that parses', async () => {
    const value = generateEnvKekValue(3);
    expect(value).toMatch(/^v3:[A-Za-z0-9+/]{43}=$/);
    expect((await envKekProvider(value).current()).version).toBe(3);
  });
});

describe('defaultKekProvider', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-kek-default-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses STEWARD_MASTER_KEY when set, the key file in the data directory otherwise', async () => {
    const value = generateEnvKekValue();
    const fromEnv = defaultKekProvider({ dataDir: dir, env: { [MASTER_KEY_ENV]: value } });
    expect(fromEnv.id).toBe('env:STEWARD_MASTER_KEY');
    await fromEnv.current();
    expect(await readdir(dir)).toEqual([]);

    const fromFile = defaultKekProvider({ dataDir: dir, env: {} });
    expect(fromFile.id).toBe(`file:${join(dir, DEFAULT_KEY_FILE)}`);
    await fromFile.current();
    expect(await readdir(dir)).toEqual([DEFAULT_KEY_FILE]);
  });
});

describe('fileKekProvider.rotate on first use', () => {
  it('creates version 1 first, then rotates to version 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-kek-rot-'));
    try {
      const provider = fileKekProvider(join(dir, 'k.json'));
      expect(await provider.rotate?.()).toBe(2);
      expect(await readKeyFileVersions(join(dir, 'k.json'))).toEqual({ current: 2, versions: [1, 2] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
