/**
 * A fixed-window counter per key kept in the database, so that several `steward serve` instances
 * sharing one PostgreSQL database share one limit (the in-memory consent/rate-limit.ts counts per
 * instance). One statement per hit: an upsert that returns the window's count. Keys are hashed
 * by the caller (an address never reaches the table in clear). Windows older than the current one
 * are deleted by whichever instance first sees a new window. Like the in-memory limiter, it reads
 * the process clock: rate limiting is not a domain decision.
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
  #prunedWindow = '';

  constructor(
    readonly db: DB,
    /** Names this limiter's keys, so limiters on different routes never share a count. */
    readonly scope: string,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts a hit for `key`; false when the key is over its limit in the current window. */
  async hit(key: string, now: number = Date.now()): Promise<boolean> {
    const start = new Date(now - (now % this.windowMs)).toISOString();
    if (start !== this.#prunedWindow) {
      this.#prunedWindow = start;
      await this.db.deleteFrom('rate_limit_windows').where('key', 'like', `${this.scope}:%`).where('window_start', '<', start).execute();
    }
    const row = await this.db
      .insertInto('rate_limit_windows')
      .values({ key: `${this.scope}:${key}`, window_start: start, count: 1 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet((eb) => ({ count: eb('rate_limit_windows.count', '+', 1) })))
      .returning('count')
      .executeTakeFirstOrThrow();
    return Number(row.count) <= this.limit;
  }
}
