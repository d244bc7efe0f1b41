/**
 * Key-encryption-key (KEK) providers. A KEK wraps the per-subject data keys (see envelope.ts).
 * Providers sit behind a small interface so that a KMS can be added later.
 *
 * - fileKekProvider: a JSON key file in the data directory, created on first use with mode 0600.
 * - envKekProvider: from an environment variable such as STEWARD_MASTER_KEY,
 *   `v1:<base64 of 32 bytes>[,v2:<base64 of 32 bytes>…]`; the highest version is current.
 *
 * Old versions are kept after a rotation: data keys wrapped under them must still unwrap.
 * No key material ever appears in an error message.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import { StewardError } from '../shared/errors.js';

export interface KekProvider {
  /** Names the provider and its source (a file path or a variable name), never a key. */
  readonly id: string;
  /** The KEK to wrap new data keys with. */
  current(): Promise<{ version: number; key: Buffer }>;
  /** A KEK by version, to unwrap a data key. Throws CONFIG_INVALID if the version is unknown. */
  get(version: number): Promise<Buffer>;
  /** Adds a new current version, keeping the old ones; returns the new version. */
  rotate?(): Promise<number>;
  /**
   * Every version held (each an epoch), with when it was created where the source records it
   * (the key file does; the environment does not).
   */
  epochs?(): Promise<Array<{ version: number; createdAt: string | undefined }>>;
  /**
   * Deletes versions for good (epoch retirement): backups and data keys sealed under them can
   * never be opened again. Refuses the current version.
   */
  retire?(versions: readonly number[]): Promise<void>;
}

export const KEK_BYTES = 32;
/** Versions are stored as uint32 in wrapped keys. */
export const MAX_KEK_VERSION = 0xffff_ffff;
/** The environment variable envKekProvider reads by default. */
export const MASTER_KEY_ENV = 'STEWARD_MASTER_KEY';
/** The key file's name in the data directory. */
export const DEFAULT_KEY_FILE = 'steward.key';

const KEY_FILE_FORMAT = 'steward-kek';
const KEY_FILE_FORMAT_VERSION = 1;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/;

interface KeySet {
  current: number;
  keys: Map<number, Buffer>;
}

interface KeyFileJson {
  format: typeof KEY_FILE_FORMAT;
  formatVersion: number;
  current: number;
  keys: Array<{ version: number; key: string; createdAt?: string }>;
}

const configInvalid = (message: string, path?: string): StewardError =>
  new StewardError('CONFIG_INVALID', message, path === undefined ? [] : [{ path, message }]);

const isVersion = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_KEK_VERSION;

/** Decodes base64 (or base64url) that must hold exactly 32 bytes; undefined otherwise. */
function decodeKey(text: string): Buffer | undefined {
  if (!BASE64_32_BYTES.test(text)) return undefined;
  const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return key.length === KEK_BYTES ? key : undefined;
}

function unknownVersion(id: string, version: number): StewardError {
  return configInvalid(
    `KEK version ${String(version)} is not available from ${id}; ` +
      'the key that wrapped this data key is missing (was an old version removed after a rotation?)',
  );
}

function currentOf(id: string, set: KeySet): { version: number; key: Buffer } {
  const key = set.keys.get(set.current);
  if (!key) throw unknownVersion(id, set.current);
  return { version: set.current, key: Buffer.from(key) };
}

// ——— Environment ———

/**
 * A KEK provider from an environment variable's value: `v1:<base64>[,v2:<base64>…]`, each key
 * 32 bytes (base64 or base64url). The highest version is current. It cannot rotate itself: to
 * rotate, append a new version to the variable and restart.
 */
export function envKekProvider(value: string | undefined, name: string = MASTER_KEY_ENV): KekProvider {
  const set = parseEnvKeys(value, name);
  const id = `env:${name}`;
  return {
    id,
    current: async () => currentOf(id, set),
    get: async (version) => {
      const key = set.keys.get(version);
      if (!key) throw unknownVersion(id, version);
      return Buffer.from(key);
    },
    epochs: async () => [...set.keys.keys()].sort((a, b) => a - b).map((version) => ({ version, createdAt: undefined })),
  };
}

const ENV_FORMAT_HINT = 'expected "v1:<base64 of 32 random bytes>[,v2:<base64 of 32 random bytes>…]"';

function parseEnvKeys(value: string | undefined, name: string): KeySet {
  if (value === undefined || value.trim() === '') {
    throw configInvalid(`${name} is not set or empty; ${ENV_FORMAT_HINT}`, name);
  }
  const entries = value.split(',');
  const keys = new Map<number, Buffer>();
  entries.forEach((raw, i) => {
    // Never put the value (or any part of it) in a message: it is key material.
    const where = `${name} is malformed: entry ${i + 1} of ${entries.length}`;
    const entry = raw.trim();
    const m = /^v(\d{1,10}):(.*)$/.exec(entry);
    if (!m) throw configInvalid(`${where} is not "v<version>:<base64>"; ${ENV_FORMAT_HINT}`, name);
    const version = Number(m[1]);
    if (!isVersion(version)) throw configInvalid(`${where} has a version outside 1…${MAX_KEK_VERSION}`, name);
    const key = decodeKey(m[2] ?? '');
    if (!key) throw configInvalid(`${where} is not the base64 encoding of exactly ${KEK_BYTES} bytes`, name);
    if (keys.has(version)) throw configInvalid(`${where} repeats version ${version}`, name);
    keys.set(version, key);
  });
  return { current: Math.max(...keys.keys()), keys };
}

/** A new value for STEWARD_MASTER_KEY: `v<version>:<base64 of 32 random bytes>`. */
export function generateEnvKekValue(version = 1): string {
  if (!isVersion(version)) throw configInvalid(`KEK version must be an integer from 1 to ${MAX_KEK_VERSION}`);
  return `v${version}:${randomBytes(KEK_BYTES).toString('base64')}`;
}

// ——— Key file ———

export interface FileKekProviderOptions {
  clock?: Clock;
  /** How long rotate() waits for another process's rotation to finish. Default 5 s. */
  lockTimeoutMs?: number;
  /**
   * Asked before a missing key file is created; when it answers no (the database already holds
   * keys wrapped by a key-encryption key), the missing file is an error, never replaced.
   */
  mayCreate?: () => Promise<boolean>;
}

/**
 * A KEK provider backed by a JSON key file. The file is created on first use, with mode 0600,
 * holding version 1. An existing file readable or writable by group or others is refused.
 *
 * The current version is read once and cached; get() re-reads the file for a version it does not
 * know yet (another process may have rotated). rotate() adds a version under a lock file,
 * writing the key file atomically (temporary file + rename).
 */
export function fileKekProvider(path: string, options: FileKekProviderOptions = {}): KekProvider {
  const clock = options.clock ?? systemClock;
  const lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  const id = `file:${path}`;
  let cached: Promise<KeySet> | undefined;

  const remember = (p: Promise<KeySet>): Promise<KeySet> => {
    const guarded = p.catch((e: unknown) => {
      if (cached === guarded) cached = undefined; // a later call may succeed (e.g. after chmod 600)
      throw e;
    });
    cached = guarded;
    return guarded;
  };
  const load = (): Promise<KeySet> => cached ?? remember(loadOrCreate(path, clock, options.mayCreate));

  return {
    id,
    current: async () => currentOf(id, await load()),
    get: async (version) => {
      let key = (await load()).keys.get(version);
      if (!key && isVersion(version)) key = (await remember(readKeyFile(path))).keys.get(version);
      if (!key) throw unknownVersion(id, version);
      return Buffer.from(key);
    },
    rotate: async () => {
      await load(); // creates the file (version 1) if this is the first use
      const set = await withLock(path, lockTimeoutMs, async () => {
        const now = await readKeyFileJson(path);
        const next = Math.max(...now.keys.map((k) => k.version)) + 1;
        if (!isVersion(next)) throw configInvalid(`Key file ${path} has no KEK version left to rotate to`, path);
        const json: KeyFileJson = {
          ...now,
          current: next,
          keys: [...now.keys, { version: next, key: randomBytes(KEK_BYTES).toString('base64'), createdAt: clock.now().toISOString() }],
        };
        await writeFileAtomic(path, serialise(json));
        return toKeySet(json, path);
      });
      cached = Promise.resolve(set);
      return set.current;
    },
    epochs: async () => {
      await load();
      const json = await readKeyFileJson(path);
      return json.keys.map((k) => ({ version: k.version, createdAt: k.createdAt })).sort((a, b) => a.version - b.version);
    },
    retire: async (versions) => {
      await load();
      const set = await withLock(path, lockTimeoutMs, async () => {
        const now = await readKeyFileJson(path);
        if (versions.includes(now.current)) throw new StewardError('CONFLICT', `KEK version ${now.current} is the current one and cannot be retired`);
        const json: KeyFileJson = { ...now, keys: now.keys.filter((k) => !versions.includes(k.version)) };
        await writeFileAtomic(path, serialise(json));
        return toKeySet(json, path);
      });
      cached = Promise.resolve(set);
    },
  };
}

/** The file provider at `<dataDir>/steward.key`, unless the environment sets STEWARD_MASTER_KEY. */
export function defaultKekProvider(opts: { dataDir: string; env?: NodeJS.ProcessEnv; fileName?: string; mayCreate?: () => Promise<boolean> }): KekProvider {
  const value = (opts.env ?? process.env)[MASTER_KEY_ENV];
  if (value !== undefined && value.trim() !== '') return envKekProvider(value, MASTER_KEY_ENV);
  return fileKekProvider(join(opts.dataDir, opts.fileName ?? DEFAULT_KEY_FILE), opts.mayCreate ? { mayCreate: opts.mayCreate } : {});
}

const serialise = (json: KeyFileJson): string => `${JSON.stringify(json, null, 2)}\n`;

async function loadOrCreate(path: string, clock: Clock, mayCreate?: () => Promise<boolean>): Promise<KeySet> {
  try {
    return await readKeyFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (mayCreate && !(await mayCreate())) {
    throw configInvalid(
      `The key file ${path} is missing, but the database already holds data keys wrapped by the key it held. ` +
        'A new key file would not open them, so none was created. Restore the key file from your backup of it ' +
        `(to ${path}, mode 0600), or set ${MASTER_KEY_ENV} to the keys it held, and start again. ` +
        'Without that key the encrypted personal data cannot be read.',
      path,
    );
  }
  const json: KeyFileJson = {
    format: KEY_FILE_FORMAT,
    formatVersion: KEY_FILE_FORMAT_VERSION,
    current: 1,
    keys: [{ version: 1, key: randomBytes(KEK_BYTES).toString('base64'), createdAt: clock.now().toISOString() }],
  };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const created = await createExclusive(path, serialise(json));
  // Another process created it first: use theirs, not ours.
  return created ? toKeySet(json, path) : readKeyFile(path);
}

/**
 * Creates `path` with `content` and mode 0600, only if it does not exist; false if it did.
 * The content is written to a temporary file (flag 'wx', mode 0600) and published with link(),
 * which never replaces an existing file — so no reader ever sees a half-written key file, and
 * two processes starting at once agree on one key. Where hard links are unsupported, falls back
 * to writing the file itself with flag 'wx'.
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = await writeTemp(path, content);
  try {
    await link(tmp, path);
    await syncDir(dirname(path));
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function writeTemp(path: string, content: string): Promise<string> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // whatever the umask
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Replaces `path` atomically: temporary file (mode 0600) + fsync + rename + directory fsync. */
async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = await writeTemp(path, content);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new directory entry durable. Not possible everywhere (e.g. Windows): best effort.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

/** Refuses a key file that is not a regular file or that group or others may read or write. */
export function assertPrivateKeyFile(path: string, st: Stats): void {
  if (!st.isFile()) throw configInvalid(`Key file ${path} is not a regular file`, path);
  if (process.platform === 'win32') return; // POSIX modes do not describe Windows ACLs
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw configInvalid(
      `Key file ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); ` +
        `it holds the master key. Fix: chmod 600 ${path}`,
      path,
    );
  }
}

async function readKeyFileJson(path: string): Promise<KeyFileJson> {
  // Check the mode of the file actually opened (fstat), not of whatever the path names later.
  // A symlinked key file (e.g. a mounted secret) is allowed: the target's mode is what is checked.
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw e; // the caller may create it
    throw configInvalid(`Cannot read key file ${path} (${e.code ?? 'error'})`, path);
  });
  let text: string;
  try {
    assertPrivateKeyFile(path, await fh.stat());
    text = await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw configInvalid(`Key file ${path} is not valid JSON (is it a Steward key file?)`, path);
  }
  return validateKeyFile(parsed, path);
}

async function readKeyFile(path: string): Promise<KeySet> {
  return toKeySet(await readKeyFileJson(path), path);
}

function validateKeyFile(v: unknown, path: string): KeyFileJson {
  const bad = (why: string): StewardError => configInvalid(`Key file ${path} is invalid: ${why}`, path);
  if (typeof v !== 'object' || v === null) throw bad('not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== KEY_FILE_FORMAT) throw bad(`"format" is not "${KEY_FILE_FORMAT}"`);
  if (o.formatVersion !== KEY_FILE_FORMAT_VERSION) throw bad(`unsupported "formatVersion" (this Steward reads ${KEY_FILE_FORMAT_VERSION})`);
  if (!isVersion(o.current)) throw bad('"current" is not a version number');
  if (!Array.isArray(o.keys) || o.keys.length === 0) throw bad('"keys" is not a non-empty list');
  const seen = new Set<number>();
  o.keys.forEach((k: unknown, i) => {
    const e = (typeof k === 'object' && k !== null ? k : {}) as Record<string, unknown>;
    if (!isVersion(e.version)) throw bad(`keys[${i}].version is not a version number`);
    if (seen.has(e.version)) throw bad(`keys[${i}] repeats version ${e.version}`);
    seen.add(e.version);
    if (typeof e.key !== 'string' || !decodeKey(e.key)) throw bad(`keys[${i}].key is not the base64 encoding of ${KEK_BYTES} bytes`);
  });
  if (!seen.has(o.current)) throw bad(`"current" names version ${o.current}, which is not in "keys"`);
  return o as unknown as KeyFileJson;
}

function toKeySet(json: KeyFileJson, path: string): KeySet {
  const keys = new Map<number, Buffer>();
  for (const k of json.keys) {
    const key = decodeKey(k.key);
    if (!key) throw configInvalid(`Key file ${path} is invalid: version ${k.version} is not a ${KEK_BYTES}-byte key`, path);
    keys.set(k.version, key);
  }
  return { current: json.current, keys };
}

/** Runs `fn` holding `<path>.lock` (created with 'wx'), so two rotations never race. */
async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() >= deadline) {
        throw new StewardError(
          'CONFLICT',
          `The key file ${path} is locked by another rotation (${lock}). ` +
            'If no other Steward process is rotating keys, remove the lock file and retry.',
        );
      }
      await new Promise((r) => setTimeout(r, 25 + Math.floor(Math.random() * 50)));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** Exposed for tests and diagnostics: reads a key file's versions without creating it. */
export async function readKeyFileVersions(path: string): Promise<{ current: number; versions: number[] }> {
  const json = await readKeyFileJson(path);
  return { current: json.current, versions: json.keys.map((k) => k.version).sort((a, b) => a - b) };
}
