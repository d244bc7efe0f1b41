/**
 * Hashing an email campaign list to blind-index digests, on every core and without a string per
 * address. The list is written once, as UTF-8, into shared memory; this thread and the workers
 * take chunks of lines from a shared counter, so no core waits on another. Each plain address
 * (the shape normalise.ts SIMPLE_EMAIL accepts, which normalises to its own lower case) is
 * checked, lower-cased and hashed byte by byte, its digest written as eight words into shared
 * memory. Anything else is marked for the full normaliser on this thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fastHmacSource, FastHmac } from './fast-hmac.js';

/** Line states in `status`. */
export const PENDING = 0;
export const HASHED = 1;
/** Not a plain address (or not a string): the caller runs the full normaliser. */
export const FALLBACK = 2;

/**
 * Lines [from, to) of `text` (line i is text[starts[i], starts[i + 1] - 1)): each plain address
 * lower-cased and hashed into digests[i * 8 ..], status HASHED; anything else status FALLBACK.
 *
 * "Plain" is exactly what normaliseEmailFast takes its fast path for, so the digest is the one the
 * register holds: after trimming (ASCII whitespace only; any other byte above 0x7f falls back), 3
 * to 254 characters; a local part of dot-separated runs of [a-z0-9_+-] of at most 64 characters;
 * one '@'; then DNS labels (1–63 of [a-z0-9-], not starting or ending with '-') each followed by a
 * dot; then a top-level label of 2–63 letters. Letters in either case. The tests compare this with
 * the regular expression over generated addresses.
 *
 * Self-contained (no imports, literal constants): it is also the source of the worker.
 */
export function hashEmailLines(hmac: FastHmac, text: Uint8Array, starts: Int32Array, status: Uint8Array, digests: Int32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    let a = starts[i]!;
    let b = starts[i + 1]! - 1;
    // String.prototype.trim's ASCII whitespace: tab, vertical tab, form feed, space (line breaks never get here).
    for (let c = text[a]!; a < b && (c === 32 || c === 9 || c === 11 || c === 12); c = text[a]!) a++;
    for (let c = text[b - 1]!; b > a && (c === 32 || c === 9 || c === 11 || c === 12); c = text[b - 1]!) b--;
    const len = b - a;
    if (len < 3 || len > 254) {
      status[i] = 2;
      continue;
    }
    const buf = hmac.reserve(len);
    let ok = false;
    let j = 0;
    // Local part: runs of [a-z0-9_+-] joined by single dots, then '@' within the first 65 characters.
    for (let run = 0; j < len; j++) {
      let c = text[a + j]!;
      if (c >= 65 && c <= 90) c += 32;
      buf[j] = c;
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 43 || c === 45) run++;
      else if (c === 46 && run > 0) run = 0;
      else {
        ok = c === 64 && run > 0 && j <= 64;
        break;
      }
    }
    if (ok) {
      // Domain: labels each ended by a dot, then the top-level label (letters only).
      let labels = 0;
      let size = 0;
      let first = 0;
      let last = 0;
      let letters = true;
      for (j++; j < len; j++) {
        let c = text[a + j]!;
        if (c >= 65 && c <= 90) c += 32;
        buf[j] = c;
        if (c === 46) {
          if (size === 0 || size > 63 || first === 45 || last === 45) break;
          labels++;
          size = 0;
          letters = true;
          continue;
        }
        if (c >= 97 && c <= 122) {
          // a letter
        } else if ((c >= 48 && c <= 57) || c === 45) letters = false;
        else break;
        if (size === 0) first = c;
        last = c;
        size++;
      }
      ok = j === len && labels > 0 && size >= 2 && size <= 63 && letters;
    }
    if (!ok) {
      status[i] = 2;
      continue;
    }
    hmac.digestBufferInto(len, digests, i * 8);
    status[i] = 1;
  }
}

export interface EmailHashing {
  /** Per line: PENDING, HASHED or FALLBACK. Complete once done() resolves. */
  readonly status: Uint8Array;
  /** Eight big-endian words per HASHED line. */
  readonly digests: Int32Array;
  /** Workers that failed or ended early (their lines are done on this thread instead). */
  readonly failures: number;
  /** Hashes chunks on this thread until none is left, letting I/O in between chunks. */
  help(): Promise<void>;
  /**
   * Resolves when every line is hashed or marked: waits for the workers, then this thread takes
   * what is left (all of it without workers) and redoes what a failed worker left PENDING.
   */
  done(): Promise<void>;
}

/** Lines per chunk taken from the shared counter. */
const CHUNK = 4096;

let workerSource: string | undefined;
const sourceOfWorker = (): string =>
  (workerSource ??= `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// Function sources from a transpiler that keeps names (tsx, vitest) call its helper: a no-op here.
const __name = (f) => f;
${fastHmacSource()}
const hashEmailLines = ${hashEmailLines.toString()};
const { key, text, starts, status, digests, next, n, chunk } = workerData;
const hmac = new FastHmac(new Uint8Array(key));
for (;;) {
  const from = Atomics.add(next, 0, chunk);
  if (from >= n) break;
  hashEmailLines(hmac, text, starts, status, digests, from, Math.min(n, from + chunk));
}
parentPort.postMessage('done');
`);

/** Workers for a big list: one per core beside this thread (which reads the register meanwhile), at most three. */
export const defaultHashWorkers = (): number => Math.max(1, Math.min(availableParallelism() - 1, 3));

/**
 * Starts hashing `recipients` (as email addresses) under `key` on `workers` worker threads (0: on
 * this thread only, in help() and done()). Entries that are not strings, longer than `maxChars`
 * or holding a line break are marked FALLBACK without being looked at.
 */
export function hashEmails(recipients: readonly unknown[], key: Uint8Array, opts: { workers: number; maxChars: number }): EmailHashing {
  const n = recipients.length;
  const lines = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = recipients[i];
    lines[i] = typeof r === 'string' && r.length <= opts.maxChars && r.indexOf('\n') < 0 && r.indexOf('\r') < 0 ? r : '';
  }
  const joined = lines.join('\n');
  const bytes = Buffer.byteLength(joined);
  const text = new Uint8Array(new SharedArrayBuffer(Math.max(1, bytes)));
  Buffer.from(text.buffer, 0, bytes).write(joined, 'utf8');
  // Line starts: UTF-8 never uses the byte 0x0a inside a character, so each one ends a line.
  const starts = new Int32Array(new SharedArrayBuffer((n + 1) * 4));
  for (let p = 0, k = 1; p < bytes; p++) if (text[p] === 10) starts[k++] = p + 1;
  starts[n] = bytes + 1;
  const status = new Uint8Array(new SharedArrayBuffer(n));
  const digests = new Int32Array(new SharedArrayBuffer(n * 32));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const hmac = new FastHmac(key);
  const claim = (): boolean => {
    const from = Atomics.add(next, 0, CHUNK);
    if (from >= n) return false;
    hashEmailLines(hmac, text, starts, status, digests, from, Math.min(n, from + CHUNK));
    return true;
  };
  const running: Array<Promise<void>> = [];
  let failures = 0;
  for (let w = 0; w < opts.workers; w++) {
    running.push(
      new Promise<void>((resolve) => {
        const worker = new Worker(sourceOfWorker(), { eval: true, workerData: { key: new Uint8Array(key), text, starts, status, digests, next, n, chunk: CHUNK } });
        // A worker that fails (or ends without answering) leaves its lines PENDING: done() redoes them.
        worker.once('message', () => resolve());
        worker.once('error', () => {
          failures++;
          resolve();
        });
        worker.once('exit', (code) => {
          if (code !== 0) failures++;
          resolve();
        });
      }),
    );
  }
  const help = async (): Promise<void> => {
    while (claim()) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    status,
    digests,
    get failures() {
      return failures;
    },
    help,
    done: async () => {
      await Promise.all(running);
      while (claim());
      for (let i = 0; i < n; i++) if (status[i] === PENDING) hashEmailLines(hmac, text, starts, status, digests, i, i + 1);
    },
  };
}
