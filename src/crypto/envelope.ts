/**
 * Envelope encryption. A key-encryption key (KEK, from a KekProvider) wraps one data key (DEK)
 * per subject; the subject's fields are encrypted under the DEK. Destroying the wrapped DEK
 * destroys every copy of the subject's ciphertext (crypto-shredding).
 *
 * Both layers use AES-256-GCM with a 12-byte random nonce and a 16-byte tag. Blobs are
 * self-describing:
 *
 *   wrapped key:  [format 0x01][KEK version, uint32 BE][nonce 12][tag 16][ciphertext 32]
 *   ciphertext:   [format 0x01][nonce 12][tag 16][ciphertext …]
 *
 * The GCM additional data is the blob's header (format byte, and KEK version for wrapped keys)
 * followed by the caller's context string (UTF-8). The context binds a ciphertext to its row
 * (e.g. `record:<id>:<subjectId>:<field>`), so moving a ciphertext to another row, field or
 * subject makes decryption fail. Use `aad()` to build contexts unambiguously.
 *
 * Everything on the hot path is synchronous: these functions run per field on import.
 *
 * Nonces are random. Under one key, stay well below 2^32 encryptions (NIST SP 800-38D): a DEK
 * encrypts one subject's fields, and a KEK wraps one key per subject, so this is never reached
 * in practice; rotate the KEK long before a billion subjects.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomInto, randomPooled } from '../shared/random.js';
import { StewardError } from '../shared/errors.js';
import type { KekProvider } from './kek.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Format byte of a wrapped data key. */
export const WRAPPED_KEY_FORMAT_V1 = 0x01;
/** Format byte of an encrypted value. */
export const CIPHERTEXT_FORMAT_V1 = 0x01;

const WRAP_HEADER_BYTES = 1 + 4;
const DATA_HEADER_BYTES = 1;
/** The length of a wrapped 32-byte data key. */
export const WRAPPED_KEY_BYTES = WRAP_HEADER_BYTES + NONCE_BYTES + TAG_BYTES + KEY_BYTES;
/** Bytes added to a plaintext by encrypt(). */
export const CIPHERTEXT_OVERHEAD = DATA_HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

const MAX_KEK_VERSION = 0xffff_ffff;

// Nonces come from the shared random pool (src/shared/random.ts): one CSPRNG call per many nonces.
const writeNonce = (target: Buffer, at: number): void => randomInto(target, at, NONCE_BYTES);

/** A decryption failure says nothing about the data, the key or the context. */
const decryptionFailed = (what: string): StewardError =>
  new StewardError('INTERNAL', `${what} failed: the ciphertext was altered, or the key or context does not match`);

function assertKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new StewardError('INTERNAL', `${what} must be ${KEY_BYTES} bytes`);
  }
}

function assertKekVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > MAX_KEK_VERSION) {
    throw new StewardError('INTERNAL', `KEK version must be an integer from 1 to ${MAX_KEK_VERSION}`);
  }
}

/** GCM additional data: the blob's header, then the caller's context in UTF-8. */
function additionalData(header: Buffer, context: string): Buffer {
  const out = Buffer.allocUnsafe(header.length + Buffer.byteLength(context, 'utf8'));
  header.copy(out, 0);
  out.write(context, header.length, 'utf8');
  return out;
}

/**
 * Builds a context string from parts, joined with ':'. Each part has '%' and ':' percent-encoded,
 * so distinct part lists always give distinct contexts (`aad('a:b','c')` ≠ `aad('a','b:c')`).
 */
export function aad(...parts: ReadonlyArray<string | number>): string {
  return parts.map((p) => String(p).replace(/%/g, '%25').replace(/:/g, '%3A')).join(':');
}

/** A fresh 32-byte data key. */
export function generateDataKey(): Buffer {
  return randomPooled(KEY_BYTES);
}

/** Wraps (encrypts) a data key under a KEK. `aad` should name the key's owner, e.g. `aad('subject-key', subjectId)`. */
export function wrapKey(kek: Buffer, kekVersion: number, dek: Buffer, aad: string): Buffer {
  assertKey(kek, 'A key-encryption key');
  assertKey(dek, 'A data key');
  assertKekVersion(kekVersion);
  const blob = Buffer.allocUnsafe(WRAPPED_KEY_BYTES);
  blob[0] = WRAPPED_KEY_FORMAT_V1;
  blob.writeUInt32BE(kekVersion, 1);
  writeNonce(blob, WRAP_HEADER_BYTES);
  const nonce = blob.subarray(WRAP_HEADER_BYTES, WRAP_HEADER_BYTES + NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(blob.subarray(0, WRAP_HEADER_BYTES), aad));
  const ct = cipher.update(dek);
  const fin = cipher.final();
  const ctAt = WRAP_HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
  ct.copy(blob, ctAt);
  fin.copy(blob, ctAt + ct.length);
  cipher.getAuthTag().copy(blob, WRAP_HEADER_BYTES + NONCE_BYTES);
  return blob;
}

/** The KEK version a wrapped key was made with (to fetch that KEK from the provider). */
export function kekVersionOf(wrapped: Buffer): number {
  if (!Buffer.isBuffer(wrapped) || wrapped.length !== WRAPPED_KEY_BYTES || wrapped[0] !== WRAPPED_KEY_FORMAT_V1) {
    throw new StewardError('INTERNAL', 'Not a wrapped data key (unknown format or length)');
  }
  return wrapped.readUInt32BE(1);
}

/** Unwraps a data key. Throws StewardError('INTERNAL') if the blob, KEK or context is wrong. */
export function unwrapKey(kek: Buffer, wrapped: Buffer, aad: string): Buffer {
  assertKey(kek, 'A key-encryption key');
  kekVersionOf(wrapped); // checks format and length
  const nonce = wrapped.subarray(WRAP_HEADER_BYTES, WRAP_HEADER_BYTES + NONCE_BYTES);
  const tag = wrapped.subarray(WRAP_HEADER_BYTES + NONCE_BYTES, WRAP_HEADER_BYTES + NONCE_BYTES + TAG_BYTES);
  const ct = wrapped.subarray(WRAP_HEADER_BYTES + NONCE_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(wrapped.subarray(0, WRAP_HEADER_BYTES), aad));
    decipher.setAuthTag(tag);
    const a = decipher.update(ct);
    const b = decipher.final();
    return b.length === 0 ? a : Buffer.concat([a, b]);
  } catch {
    throw decryptionFailed('Unwrapping a data key');
  }
}

const DATA_HEADER = Buffer.from([CIPHERTEXT_FORMAT_V1]);

/** Encrypts a value under a data key, bound to `aad` (e.g. `aad('record', id, subjectId, field)`). */
export function encrypt(dek: Buffer, plaintext: Buffer | string, aad: string): Buffer {
  assertKey(dek, 'A data key');
  const pt = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  if (!Buffer.isBuffer(pt)) throw new StewardError('INTERNAL', 'Plaintext must be a Buffer or a string');
  const blob = Buffer.allocUnsafe(CIPHERTEXT_OVERHEAD + pt.length);
  blob[0] = CIPHERTEXT_FORMAT_V1;
  writeNonce(blob, DATA_HEADER_BYTES);
  const nonce = blob.subarray(DATA_HEADER_BYTES, DATA_HEADER_BYTES + NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dek, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(DATA_HEADER, aad));
  const ct = cipher.update(pt);
  const fin = cipher.final();
  ct.copy(blob, CIPHERTEXT_OVERHEAD);
  if (fin.length > 0) fin.copy(blob, CIPHERTEXT_OVERHEAD + ct.length);
  cipher.getAuthTag().copy(blob, DATA_HEADER_BYTES + NONCE_BYTES);
  return blob;
}

/** Decrypts a value. Throws StewardError('INTERNAL') — with no data in the message — on any failure. */
export function decrypt(dek: Buffer, blob: Buffer, aad: string): Buffer {
  assertKey(dek, 'A data key');
  if (!Buffer.isBuffer(blob) || blob.length < CIPHERTEXT_OVERHEAD || blob[0] !== CIPHERTEXT_FORMAT_V1) {
    throw new StewardError('INTERNAL', 'Not an encrypted value (unknown format or too short)');
  }
  const nonce = blob.subarray(DATA_HEADER_BYTES, DATA_HEADER_BYTES + NONCE_BYTES);
  const tag = blob.subarray(DATA_HEADER_BYTES + NONCE_BYTES, CIPHERTEXT_OVERHEAD);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(DATA_HEADER, aad));
    decipher.setAuthTag(tag);
    const a = decipher.update(blob.subarray(CIPHERTEXT_OVERHEAD));
    const b = decipher.final();
    return b.length === 0 ? a : Buffer.concat([a, b]);
  } catch {
    throw decryptionFailed('Decryption');
  }
}

/** decrypt(), returning the UTF-8 text. */
export function decryptText(dek: Buffer, blob: Buffer, aad: string): string {
  return decrypt(dek, blob, aad).toString('utf8');
}

// ——— Conveniences over a KekProvider (async: the provider may read a file or call a KMS) ———

/** Wraps a data key under the provider's current KEK. */
export async function wrapWithProvider(provider: KekProvider, dek: Buffer, aad: string): Promise<Buffer> {
  const { version, key } = await provider.current();
  return wrapKey(key, version, dek, aad);
}

/** Unwraps a data key with whichever KEK version wrapped it. */
export async function unwrapWithProvider(provider: KekProvider, wrapped: Buffer, aad: string): Promise<Buffer> {
  const key = await provider.get(kekVersionOf(wrapped));
  return unwrapKey(key, wrapped, aad);
}

/**
 * After a KEK rotation: re-wraps a data key under the current KEK, or returns undefined when it
 * already uses it. The data key (and so every ciphertext under it) is unchanged.
 */
export async function rewrapWithProvider(provider: KekProvider, wrapped: Buffer, aad: string): Promise<Buffer | undefined> {
  const current = await provider.current();
  const version = kekVersionOf(wrapped);
  if (version === current.version) return undefined;
  const dek = unwrapKey(await provider.get(version), wrapped, aad);
  try {
    return wrapKey(current.key, current.version, dek, aad);
  } finally {
    dek.fill(0);
  }
}
