import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import {
  aad,
  CIPHERTEXT_OVERHEAD,
  decrypt,
  decryptText,
  encrypt,
  generateDataKey,
  kekVersionOf,
  rewrapWithProvider,
  unwrapKey,
  unwrapWithProvider,
  wrapKey,
  wrapWithProvider,
  WRAPPED_KEY_BYTES,
} from './envelope.js';
import { envKekProvider, fileKekProvider } from './kek.js';

const catchError = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
};

const expectInternal = (fn: () => unknown): StewardError => {
  const e = catchError(fn);
  expect(e).toBeInstanceOf(StewardError);
  expect((e as StewardError).code).toBe('INTERNAL');
  return e as StewardError;
};

describe('generateDataKey', () => {
  it('returns 32 fresh random bytes', () => {
    const a = generateDataKey();
    const b = generateDataKey();
    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
  });
});

describe('encrypt / decrypt', () => {
  const dek = generateDataKey();
  const ctx = aad('record', 'r1', 's1', 'email');

  it('round-trips strings (UTF-8) and buffers, including empty ones', () => {
    for (const text of ['ada@example.org', 'Zoë Ǆ 日本語 🙂', '']) {
      expect(decryptText(dek, encrypt(dek, text, ctx), ctx)).toBe(text);
    }
    const bytes = randomBytes(1000);
    expect(decrypt(dek, encrypt(dek, bytes, ctx), ctx).equals(bytes)).toBe(true);
  });

  it('produces a self-describing blob: format byte, nonce, tag, ciphertext', () => {
    const blob = encrypt(dek, 'hello', ctx);
    expect(blob[0]).toBe(1);
    expect(blob.length).toBe(CIPHERTEXT_OVERHEAD + 5);
    expect(blob.includes(Buffer.from('hello'))).toBe(false);
  });

  it('uses a fresh nonce each time: equal plaintexts give different ciphertexts', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(encrypt(dek, 'same', ctx).subarray(1, 13).toString('hex'));
    expect(seen.size).toBe(2000);
    expect(encrypt(dek, 'same', ctx).equals(encrypt(dek, 'same', ctx))).toBe(false);
  });

  it('detects tampering: flipping any single byte makes decryption throw', () => {
    const blob = encrypt(dek, 'sensitive value', ctx);
    for (let i = 0; i < blob.length; i++) {
      const t = Buffer.from(blob);
      t[i] = (t[i] as number) ^ 0x01;
      expectInternal(() => decrypt(dek, t, ctx));
    }
  });

  it('detects truncation and extension', () => {
    const blob = encrypt(dek, 'sensitive value', ctx);
    expectInternal(() => decrypt(dek, blob.subarray(0, blob.length - 1), ctx));
    expectInternal(() => decrypt(dek, Buffer.concat([blob, Buffer.from([0])]), ctx));
    expectInternal(() => decrypt(dek, blob.subarray(0, CIPHERTEXT_OVERHEAD - 1), ctx));
  });

  it('binds a ciphertext to its row: the wrong AAD throws, so rows cannot be swapped', () => {
    const a = encrypt(dek, 'alice@example.org', aad('record', 'r1', 's1', 'email'));
    const b = encrypt(dek, 'bob@example.org', aad('record', 'r2', 's1', 'email'));
    expectInternal(() => decrypt(dek, a, aad('record', 'r2', 's1', 'email')));
    expectInternal(() => decrypt(dek, b, aad('record', 'r1', 's1', 'email')));
    expectInternal(() => decrypt(dek, a, aad('record', 'r1', 's1', 'phone')));
    expectInternal(() => decrypt(dek, a, aad('record', 'r1', 's2', 'email')));
    expect(decryptText(dek, a, aad('record', 'r1', 's1', 'email'))).toBe('alice@example.org');
  });

  it('fails with another key, and the error says nothing about the data', () => {
    const blob = encrypt(dek, 'secret-plaintext', ctx);
    const e = expectInternal(() => decrypt(generateDataKey(), blob, ctx));
    expect(e.message).not.toContain('secret-plaintext');
    expect(e.message).not.toContain(ctx);
    expect(e.message).not.toContain(dek.toString('hex'));
    expect(e.message).not.toContain(dek.toString('base64'));
  });

  it('refuses keys that are not 32 bytes and blobs of unknown format', () => {
    expectInternal(() => encrypt(randomBytes(16), 'x', ctx));
    expectInternal(() => decrypt(randomBytes(31), encrypt(dek, 'x', ctx), ctx));
    const blob = encrypt(dek, 'x', ctx);
    blob[0] = 2;
    expect(expectInternal(() => decrypt(dek, blob, ctx)).message).toMatch(/format/);
  });
});

describe('aad', () => {
  it('joins parts with ":" and cannot be confused by parts containing ":"', () => {
    expect(aad('record', 12, 's1', 'email')).toBe('record:12:s1:email');
    expect(aad('a:b', 'c')).not.toBe(aad('a', 'b:c'));
    expect(aad('a%3Ab')).not.toBe(aad('a:b'));
  });
});

describe('wrapKey / unwrapKey', () => {
  const kek = randomBytes(32);
  const dek = generateDataKey();
  const ctx = aad('subject-key', 's1');

  it('round-trips a data key and records the KEK version in the blob', () => {
    const wrapped = wrapKey(kek, 7, dek, ctx);
    expect(wrapped).toHaveLength(WRAPPED_KEY_BYTES);
    expect(wrapped[0]).toBe(1);
    expect(kekVersionOf(wrapped)).toBe(7);
    expect(wrapped.readUInt32BE(1)).toBe(7);
    expect(unwrapKey(kek, wrapped, ctx).equals(dek)).toBe(true);
    expect(kekVersionOf(wrapKey(kek, 0xffff_ffff, dek, ctx))).toBe(0xffff_ffff);
  });

  it('detects tampering anywhere, including the KEK version', () => {
    const wrapped = wrapKey(kek, 1, dek, ctx);
    for (let i = 0; i < wrapped.length; i++) {
      const t = Buffer.from(wrapped);
      t[i] = (t[i] as number) ^ 0x80;
      expectInternal(() => unwrapKey(kek, t, ctx));
    }
  });

  it('fails with the wrong KEK or for another subject', () => {
    const wrapped = wrapKey(kek, 1, dek, ctx);
    expectInternal(() => unwrapKey(randomBytes(32), wrapped, ctx));
    expectInternal(() => unwrapKey(kek, wrapped, aad('subject-key', 's2')));
  });

  it('refuses bad versions and bad key sizes', () => {
    expectInternal(() => wrapKey(kek, 0, dek, ctx));
    expectInternal(() => wrapKey(kek, 1.5, dek, ctx));
    expectInternal(() => wrapKey(kek, 2 ** 32, dek, ctx));
    expectInternal(() => wrapKey(kek, 1, randomBytes(16), ctx));
    expectInternal(() => wrapKey(randomBytes(24), 1, dek, ctx));
    expectInternal(() => kekVersionOf(Buffer.alloc(10)));
  });
});

describe('with a KEK provider', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('wraps under the current version and unwraps with the version in the blob', async () => {
    const v1 = randomBytes(32).toString('base64');
    const v2 = randomBytes(32).toString('base64');
    const dek = generateDataKey();
    const old = await wrapWithProvider(envKekProvider(`v1:${v1}`), dek, 'subject-key:s1');
    const provider = envKekProvider(`v1:${v1},v2:${v2}`);
    const wrapped = await wrapWithProvider(provider, dek, 'subject-key:s1');
    expect(kekVersionOf(old)).toBe(1);
    expect(kekVersionOf(wrapped)).toBe(2);
    expect((await unwrapWithProvider(provider, old, 'subject-key:s1')).equals(dek)).toBe(true);
    expect((await unwrapWithProvider(provider, wrapped, 'subject-key:s1')).equals(dek)).toBe(true);
  });

  it('re-wraps old data keys after a rotation, leaving the data key (and its ciphertexts) unchanged', async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-envelope-'));
    const provider = fileKekProvider(join(dir, 'steward.key'));
    const dek = generateDataKey();
    const ct = encrypt(dek, 'ada@example.org', 'record:r1:s1:email');
    const wrapped = await wrapWithProvider(provider, dek, 'subject-key:s1');
    expect(await rewrapWithProvider(provider, wrapped, 'subject-key:s1')).toBeUndefined();

    expect(await provider.rotate?.()).toBe(2);
    const rewrapped = await rewrapWithProvider(provider, wrapped, 'subject-key:s1');
    expect(rewrapped).toBeDefined();
    expect(kekVersionOf(rewrapped as Buffer)).toBe(2);
    const dek2 = await unwrapWithProvider(provider, rewrapped as Buffer, 'subject-key:s1');
    expect(decryptText(dek2, ct, 'record:r1:s1:email')).toBe('ada@example.org');
    // The old wrapping still unwraps too: rotation keeps version 1.
    expect((await unwrapWithProvider(provider, wrapped, 'subject-key:s1')).equals(dek)).toBe(true);
  });
});
