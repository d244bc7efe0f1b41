/**
 * Micro-benchmark of the per-record crypto work on import: field encryption and decryption,
 * data-key wrapping, blind indexing and card-data screening. Synchronous, single-threaded; returns
 * numbers and prints nothing. Called from the project's `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { BlindIndexer } from './blind-index.js';
import { assertNoCardData } from './card-detect.js';
import { aad, decrypt, encrypt, generateDataKey, unwrapKey, wrapKey } from './envelope.js';

export interface CryptoBenchOptions {
  /** Operations per measurement. Default 100 000. */
  iterations?: number;
  /** Plaintext size in bytes for encrypt/decrypt. Default 32 (a typical field). */
  plaintextBytes?: number;
  /** Fields per subject, for the subjects/s estimate. Default 6. */
  fieldsPerSubject?: number;
}

export interface CryptoBenchResult {
  iterations: number;
  plaintextBytes: number;
  /** encrypt() calls per second. */
  encryptOpsPerSec: number;
  /** decrypt() calls per second. */
  decryptOpsPerSec: number;
  /** One encrypt() followed by one decrypt(), per second. */
  encryptDecryptOpsPerSec: number;
  /** wrapKey() + unwrapKey() pairs per second. */
  wrapUnwrapOpsPerSec: number;
  /** BlindIndexer.index() of an e-mail address (normalise + HMAC) per second. */
  blindIndexEmailOpsPerSec: number;
  /** BlindIndexer.index() of a national phone number (normalise + HMAC) per second. */
  blindIndexPhoneOpsPerSec: number;
  /** assertNoCardData() over a typical 6-field record per second. */
  cardScreenRecordsPerSec: number;
  /**
   * One core's estimate of subjects imported per second: a data key generated and wrapped,
   * `fieldsPerSubject` fields encrypted, an e-mail and a phone indexed, the record screened.
   */
  estimatedSubjectsPerSecPerCore: number;
}

function rate(iterations: number, fn: (i: number) => void): number {
  // Warm up so the JIT has compiled the path being measured.
  const warm = Math.min(2_000, Math.max(10, Math.floor(iterations / 10)));
  for (let i = 0; i < warm; i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  const ms = performance.now() - t0;
  return ms > 0 ? Math.round((iterations * 1000) / ms) : Number.POSITIVE_INFINITY;
}

export function runCryptoBench(opts: CryptoBenchOptions = {}): CryptoBenchResult {
  const iterations = Math.max(1, Math.floor(opts.iterations ?? 100_000));
  const plaintextBytes = Math.max(0, Math.floor(opts.plaintextBytes ?? 32));
  const fields = Math.max(1, Math.floor(opts.fieldsPerSubject ?? 6));

  const kek = randomBytes(32);
  const dek = generateDataKey();
  const plaintext = randomBytes(plaintextBytes);
  const context = aad('record', 'r_0000000001', 's_0000000001', 'email');
  const blobs = Array.from({ length: 256 }, () => encrypt(dek, plaintext, context));
  const indexer = new BlindIndexer(randomBytes(32));
  const record = {
    name: 'Ada Lovelace',
    email: 'ada.lovelace@example.org',
    phone: '01727 812222',
    address: '12 St Peter’s Street, St Albans AL1 3LF',
    notes: 'Prefers contact by e-mail; order 1234-5678 on 2024-05-01.',
    tier: 'gold',
  };

  let sink = 0;
  const encryptOpsPerSec = rate(iterations, () => {
    sink ^= encrypt(dek, plaintext, context).length;
  });
  const decryptOpsPerSec = rate(iterations, (i) => {
    sink ^= decrypt(dek, blobs[i & 255] as Buffer, context).length;
  });
  const encryptDecryptOpsPerSec = rate(iterations, () => {
    sink ^= decrypt(dek, encrypt(dek, plaintext, context), context).length;
  });
  const wrapUnwrapOpsPerSec = rate(Math.ceil(iterations / 2), () => {
    sink ^= unwrapKey(kek, wrapKey(kek, 1, dek, 'subject-key:s_1'), 'subject-key:s_1').length;
  });
  const blindIndexEmailOpsPerSec = rate(iterations, (i) => {
    sink ^= indexer.index('email', 'email', (i & 1) === 0 ? ' Ada.Lovelace@Example.org ' : 'ada@example.org')?.digest.length ?? 0;
  });
  const blindIndexPhoneOpsPerSec = rate(iterations, (i) => {
    sink ^= indexer.index('phone', 'phone', (i & 1) === 0 ? '01727 812222' : '+44 (0)7700 900123')?.digest.length ?? 0;
  });
  const cardScreenRecordsPerSec = rate(Math.ceil(iterations / 2), () => {
    assertNoCardData(record);
  });
  if (sink === 0.5) throw new Error('unreachable'); // keeps the work observable to the optimiser

  const perSubjectSeconds =
    1 / (wrapUnwrapOpsPerSec * 2) + // a wrap is about half a wrap+unwrap pair
    fields / encryptOpsPerSec +
    1 / blindIndexEmailOpsPerSec +
    1 / blindIndexPhoneOpsPerSec +
    1 / cardScreenRecordsPerSec;

  return {
    iterations,
    plaintextBytes,
    encryptOpsPerSec,
    decryptOpsPerSec,
    encryptDecryptOpsPerSec,
    wrapUnwrapOpsPerSec,
    blindIndexEmailOpsPerSec,
    blindIndexPhoneOpsPerSec,
    cardScreenRecordsPerSec,
    estimatedSubjectsPerSecPerCore: Math.round(1 / perSubjectSeconds),
  };
}
