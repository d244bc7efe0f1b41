/**
 * Random bytes from a pool refilled from the CSPRNG: one randomFillSync call per 16 KiB instead of
 * one per id, key or nonce (each call costs microseconds that add up in a bulk import). A Node
 * process never forks with its heap shared (cluster and child_process start fresh processes), so
 * pooled bytes are never handed out twice; used bytes are zeroed at once.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(16 * 1024);
let offset = POOL.length;

/** Writes `n` random bytes into `target` at `at`. */
export function randomInto(target: Buffer, at: number, n: number): void {
  if (n > POOL.length) {
    randomFillSync(target, at, n);
    return;
  }
  if (offset + n > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  POOL.copy(target, at, offset, offset + n);
  POOL.fill(0, offset, offset + n);
  offset += n;
}

/** `n` fresh random bytes. */
export function randomPooled(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  randomInto(b, 0, n);
  return b;
}
