/**
 * Rate limits kept in the database, so that every instance sharing it counts together: a fixed
 * window per key (one row: when the window began, how many hits it has had). A hit is one atomic
 * upsert that either starts a new window or adds one to the current one, and returns the count,
 * so parallel hits on one key from any number of processes each see a distinct count and the
 * limit holds exactly.
 *
 * Keys name a rule and what is limited (an address, an account, both); they are stored as keyed
 * hashes (keyring.linkMac), so the table holds no address, user name or email address.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../shared/clock.js';

export interface RateLimitsTable {
  /** `<rule>:<keyed hash of what is limited>`. */
  key: string;
  /** ISO 8601 UTC instant the current window began. */
  window_start: string;
  count: number;
}

declare module '../db/tables.js' {
  interface Tables {
    rate_limits: RateLimitsTable;
  }
}

export interface LimitContext {
  database: Database;
  keyring: Keyring;
  clock: Clock;
}

/** A rule: at most `limit` hits per `windowMs` for each key. */
export interface LimitRule {
  /** Short stable name ("login-address"): part of the stored key. */
  name: string;
  limit: number;
  windowMs: number;
}

export interface Hit {
  /** The count after this hit was within the limit. */
  allowed: boolean;
  count: number;
  /** Milliseconds until the window ends (for Retry-After). */
  retryAfterMs: number;
}

const storedKey = (ctx: LimitContext, rule: LimitRule, key: string): string => `${rule.name}:${ctx.keyring.linkMac('rate-limit', `${rule.name}\n${key}`)}`;

// Rows of windows long past are deleted now and then, by whichever instance happens to be counting.
const PRUNE_EVERY = 500;
const KEEP_MS = 24 * 3600_000;
let hitsSincePrune = 0;

/** Counts a hit and says whether it is within the limit. Counted whatever the outcome of what follows. */
export async function hit(ctx: LimitContext, rule: LimitRule, key: string): Promise<Hit> {
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const cutoff = new Date(now.getTime() - rule.windowMs).toISOString();
  const k = storedKey(ctx, rule, key);
  const db = ctx.database.db as unknown as Kysely<{ rate_limits: RateLimitsTable }>;
  // INSERT … ON CONFLICT DO UPDATE … RETURNING: one statement, atomic on both databases
  // (SQLite ≥ 3.35, PostgreSQL ≥ 9.5). A window that began at or before the cutoff starts again.
  const row = await db
    .insertInto('rate_limits')
    .values({ key: k, window_start: nowIso, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when rate_limits.window_start <= ${cutoff} then 1 else rate_limits.count + 1 end`,
        window_start: sql<string>`case when rate_limits.window_start <= ${cutoff} then ${nowIso} else rate_limits.window_start end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  if (++hitsSincePrune >= PRUNE_EVERY) {
    hitsSincePrune = 0;
    await db.deleteFrom('rate_limits').where('window_start', '<', new Date(now.getTime() - KEEP_MS).toISOString()).execute();
  }
  const count = Number(row.count);
  return { allowed: count <= rule.limit, count, retryAfterMs: Math.max(0, Date.parse(row.window_start) + rule.windowMs - now.getTime()) };
}

/** The current window's count for a key, without counting. */
export async function peek(ctx: LimitContext, rule: LimitRule, key: string): Promise<number> {
  const cutoff = new Date(ctx.clock.now().getTime() - rule.windowMs).toISOString();
  const db = ctx.database.db as unknown as Kysely<{ rate_limits: RateLimitsTable }>;
  const row = await db.selectFrom('rate_limits').select('count').where('key', '=', storedKey(ctx, rule, key)).where('window_start', '>', cutoff).executeTakeFirst();
  return row ? Number(row.count) : 0;
}

/** Takes back one hit of the current window (what it counted turned out not to count). */
export async function giveBack(ctx: LimitContext, rule: LimitRule, key: string): Promise<void> {
  const cutoff = new Date(ctx.clock.now().getTime() - rule.windowMs).toISOString();
  const db = ctx.database.db as unknown as Kysely<{ rate_limits: RateLimitsTable }>;
  await db
    .updateTable('rate_limits')
    .set({ count: sql<number>`count - 1` })
    .where('key', '=', storedKey(ctx, rule, key))
    .where('window_start', '>', cutoff)
    .where('count', '>', 0)
    .execute();
}
