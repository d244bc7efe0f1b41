/**
 * A fixed-window counter per key kept in the database, so that several `steward serve` instances
 * sharing one PostgreSQL database share one limit (the in-memory consent/rate-limit.ts counts per
 * instance). Keys are hashed by the caller: an address never reaches the table in clear.
 *
 * Writing every hit would make the limiter the busiest table on the server, so each instance adds
 * its hits to the shared count in batches: at most every `flushMs`, one transaction upserts each
 * key's new hits and reads back the window's total. A key is refused when the shared total last
 * read plus this instance's hits since reaches the limit; instances can therefore overshoot by
 * what they admit within one flush interval, which is small against a per-minute limit. Windows
 * older than the current one are deleted at the first flush of a new window. Like the in-memory
 * limiter, it reads the process clock: rate limiting is not a domain decision.
 */
import type { DB } from '../db/database.js';

export interface RateLimitWindowsTable {
  key: string;
  window_start: string;
  count: number;
}

declare module '../db/tables.js' {
  interface Tables {
    rate_limit_windows: RateLimitWindowsTable;
  }
}

export class SharedRateLimiter {
  #window = '';
  /** The shared total per key when last read, and this instance's hits not yet added to it. */
  #shared = new Map<string, number>();
  #pending = new Map<string, number>();
  #lastFlush = 0;
  #flushing: Promise<void> | undefined;

  constructor(
    readonly db: DB,
    /** Names this limiter's keys, so limiters on different routes never share a count. */
    readonly scope: string,
    readonly limit: number,
    readonly windowMs: number,
    readonly flushMs = 250,
  ) {}

  /** Counts a hit for `key`; false when the key is over its limit in the current window. */
  async hit(key: string, now: number = Date.now()): Promise<boolean> {
    const start = new Date(now - (now % this.windowMs)).toISOString();
    if (start !== this.#window) {
      await this.flush();
      this.#window = start;
      this.#shared.clear();
      await this.db.deleteFrom('rate_limit_windows').where('key', 'like', `${this.scope}:%`).where('window_start', '<', start).execute();
      // A new window: read the totals before admitting anyone.
      this.#lastFlush = 0;
    }
    const k = `${this.scope}:${key}`;
    if (!this.#shared.has(k) || now - this.#lastFlush >= this.flushMs) {
      this.#pending.set(k, (this.#pending.get(k) ?? 0) + 1);
      await this.flush(now);
      return (this.#shared.get(k) ?? 0) <= this.limit;
    }
    const pending = (this.#pending.get(k) ?? 0) + 1;
    this.#pending.set(k, pending);
    return (this.#shared.get(k) ?? 0) + pending <= this.limit;
  }

  /** Adds this instance's hits to the shared counts and reads the totals back. */
  async flush(now: number = Date.now()): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0 || !this.#window) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    this.#lastFlush = now;
    const window = this.#window;
    this.#flushing = this.db.transaction().execute(async (trx) => {
      for (const [key, n] of batch) {
        const row = await trx
          .insertInto('rate_limit_windows')
          .values({ key, window_start: window, count: n })
          .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limit_windows.count', '+', n) })))
          .returning('count')
          .executeTakeFirstOrThrow();
        this.#shared.set(key, Number(row.count));
      }
    });
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }
}
