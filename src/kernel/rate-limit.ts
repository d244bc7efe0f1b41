/**
 * The one rate limiter: every limit, for sign-in and for every public page and route, is a rule
 * counted here, in the database, so that every instance sharing it counts together (PostgreSQL
 * with several `steward serve` processes, or the one SQLite file). A fixed window per key: one row
 * holds when the window began and how many hits it has had.
 *
 * A rule is counted in one of two ways:
 * - exactly (the default): each hit is one atomic upsert that either starts a new window or adds
 *   one to the current one, and returns the count, so parallel hits on one key from any number of
 *   processes each see a distinct count and the limit holds exactly (sign-in, codes by mail);
 * - in batches (`batchMs`), for busy routes where writing every hit would make this the busiest
 *   table on the server (the cookie banner, page views): each instance adds its hits to the shared
 *   count at most every `batchMs`, in one transaction that upserts each key's new hits and reads
 *   back the totals. Between flushes a key is refused when the shared total last read plus this
 *   instance's hits since reaches the limit; instances can therefore overshoot by what they admit
 *   within one flush interval, which is small against a per-minute limit.
 *
 * Keys name a rule and what is limited (an address, an account, both); they are stored as keyed
 * hashes (keyring.linkMac), so the table holds no address, user name or email address.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { AppContext } from '../kernel/context.js';

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

export type LimitContext = Pick<AppContext, 'database' | 'keyring' | 'clock'>;

/** A rule: at most `limit` hits per `windowMs` for each key. */
export interface LimitRule {
  /** Short stable name ("login-address"): part of the stored key. */
  name: string;
  limit: number;
  windowMs: number;
  /** Count in batches written at most this often (milliseconds) instead of exactly at every hit. */
  batchMs?: number;
}

export interface Hit {
  /** The count after this hit was within the limit. */
  allowed: boolean;
  count: number;
  /** Milliseconds until the window ends (for Retry-After). */
  retryAfterMs: number;
}

type LimitsDb = Kysely<{ rate_limits: RateLimitsTable }>;
const limitsDb = (ctx: LimitContext): LimitsDb => ctx.database.db as unknown as LimitsDb;

const storedKey = (ctx: LimitContext, rule: LimitRule, key: string): string => `${rule.name}:${ctx.keyring.linkMac('rate-limit', `${rule.name}\n${key}`)}`;

// Rows of windows long past are deleted now and then, by whichever instance happens to be counting.
const PRUNE_EVERY = 500;
const KEEP_MS = 24 * 3600_000;
let hitsSincePrune = 0;

/**
 * Adds `n` hits to a key: INSERT … ON CONFLICT DO UPDATE … RETURNING, one statement, atomic on
 * both databases (SQLite ≥ 3.35, PostgreSQL ≥ 9.5). A window that began at or before the cutoff
 * starts again.
 */
async function add(db: LimitsDb, rule: LimitRule, key: string, n: number, now: Date): Promise<{ count: number; windowStart: number }> {
  const nowIso = now.toISOString();
  const cutoff = new Date(now.getTime() - rule.windowMs).toISOString();
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: nowIso, count: n })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when rate_limits.window_start <= ${cutoff} then ${n} else rate_limits.count + ${n} end`,
        window_start: sql<string>`case when rate_limits.window_start <= ${cutoff} then ${nowIso} else rate_limits.window_start end`,
      }),
    )
    .returning(['count', 'window_start'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), windowStart: Date.parse(row.window_start) };
}

async function prune(ctx: LimitContext, hits: number, now: Date): Promise<void> {
  hitsSincePrune += hits;
  if (hitsSincePrune < PRUNE_EVERY) return;
  hitsSincePrune = 0;
  await limitsDb(ctx).deleteFrom('rate_limits').where('window_start', '<', new Date(now.getTime() - KEEP_MS).toISOString()).execute();
}

const verdict = (rule: LimitRule, count: number, windowStart: number, now: Date): Hit => ({
  allowed: count <= rule.limit,
  count,
  retryAfterMs: Math.max(0, windowStart + rule.windowMs - now.getTime()),
});

interface Known {
  count: number;
  windowStart: number;
  windowMs: number;
}

/** Keys read from the shared counts from which those whose window has ended are forgotten. */
const FORGET_AT = 10_000;

/**
 * One instance's view of the shared counts: where hits of batched rules wait for their flush.
 * One per database handle (limiterFor); tests make several to stand for several instances.
 */
export class RateLimiter {
  /** The shared total per stored key when last read. */
  readonly #known = new Map<string, Known>();
  /** This instance's hits not yet added to the shared total, with their rule. */
  readonly #pending = new Map<string, { rule: LimitRule; n: number }>();
  #lastFlush = 0;
  #flushing: Promise<void> | undefined;

  constructor(readonly ctx: LimitContext) {}

  /** Counts a hit and says whether it is within the limit. Counted whatever the outcome of what follows. */
  async hit(rule: LimitRule, key: string): Promise<Hit> {
    const now = this.ctx.clock.now();
    const k = storedKey(this.ctx, rule, key);
    if (!rule.batchMs) {
      const row = await add(limitsDb(this.ctx), rule, k, 1, now);
      await prune(this.ctx, 1, now);
      return verdict(rule, row.count, row.windowStart, now);
    }
    const pending = (this.#pending.get(k)?.n ?? 0) + 1;
    this.#pending.set(k, { rule, n: pending });
    const known = this.#known.get(k);
    // Nothing read yet for this key, a flush is due (or the clock went back), or its window has
    // ended: add and read now.
    const sinceFlush = now.getTime() - this.#lastFlush;
    if (!known || sinceFlush >= rule.batchMs || sinceFlush < 0 || now.getTime() >= known.windowStart + rule.windowMs) {
      await this.flush();
      const fresh = this.#known.get(k)!;
      return verdict(rule, fresh.count, fresh.windowStart, now);
    }
    return verdict(rule, known.count + pending, known.windowStart, now);
  }

  /** Adds this instance's waiting hits to the shared counts and reads the totals back. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    const now = this.ctx.clock.now();
    const batch = [...this.#pending].filter(([, w]) => w.n > 0);
    this.#pending.clear();
    this.#lastFlush = now.getTime();
    this.#flushing = (async () => {
      let hits = 0;
      await this.ctx.database.db.transaction().execute(async (trx) => {
        for (const [key, { rule, n }] of batch) {
          this.#known.set(key, { ...(await add(trx as unknown as LimitsDb, rule, key, n, now)), windowMs: rule.windowMs });
          hits += n;
        }
      });
      if (this.#known.size >= FORGET_AT) for (const [key, k] of this.#known) if (k.windowStart + k.windowMs <= now.getTime()) this.#known.delete(key);
      await prune(this.ctx, hits, now);
    })();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** The current window's count for a key, without counting (hits still waiting for a flush included). */
  async peek(rule: LimitRule, key: string): Promise<number> {
    const k = storedKey(this.ctx, rule, key);
    const cutoff = new Date(this.ctx.clock.now().getTime() - rule.windowMs).toISOString();
    const row = await limitsDb(this.ctx).selectFrom('rate_limits').select('count').where('key', '=', k).where('window_start', '>', cutoff).executeTakeFirst();
    return (row ? Number(row.count) : 0) + (this.#pending.get(k)?.n ?? 0);
  }

  /** Takes back one hit of the current window (what it counted turned out not to count). */
  async giveBack(rule: LimitRule, key: string): Promise<void> {
    const k = storedKey(this.ctx, rule, key);
    const waiting = this.#pending.get(k);
    if (waiting && waiting.n > 0) {
      waiting.n--;
      return;
    }
    const cutoff = new Date(this.ctx.clock.now().getTime() - rule.windowMs).toISOString();
    await limitsDb(this.ctx)
      .updateTable('rate_limits')
      .set({ count: sql<number>`count - 1` })
      .where('key', '=', k)
      .where('window_start', '>', cutoff)
      .where('count', '>', 0)
      .execute();
  }
}

const limiters = new WeakMap<Database, RateLimiter>();

/** This process's limiter for a database: every route and service of an instance shares it. */
export function limiterFor(ctx: LimitContext): RateLimiter {
  let limiter = limiters.get(ctx.database);
  if (!limiter) {
    limiter = new RateLimiter({ database: ctx.database, keyring: ctx.keyring, clock: ctx.clock });
    limiters.set(ctx.database, limiter);
  }
  return limiter;
}

/** Counts a hit against a rule for a key (see RateLimiter.hit). */
export const hit = (ctx: LimitContext, rule: LimitRule, key: string): Promise<Hit> => limiterFor(ctx).hit(rule, key);

/** The current window's count for a key, without counting. */
export const peek = (ctx: LimitContext, rule: LimitRule, key: string): Promise<number> => limiterFor(ctx).peek(rule, key);

/** Takes back one hit of the current window. */
export const giveBack = (ctx: LimitContext, rule: LimitRule, key: string): Promise<void> => limiterFor(ctx).giveBack(rule, key);
