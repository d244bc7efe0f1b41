/**
 * The one rate limiter: instances sharing a database share every limit, counted exactly or in
 * batches; what is waiting for a flush counts as well. (Sign-in's rules: src/auth/sign-in-limits.test.ts;
 * the public pages' and the cookie banner's: their routes' tests.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { RateLimiter, type LimitRule } from './rate-limit.js';

describe.each(dialects)('the rate limiter on %s', (kind) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(kind);
  });
  afterAll(async () => {
    await rt?.close();
  });
  const allowed = async (l: RateLimiter, rule: LimitRule, key = 'k') => (await l.hit(rule, key)).allowed;

  it('counts exactly by default: two instances share the limit, and a new window starts afresh', async () => {
    const a = new RateLimiter(rt);
    const b = new RateLimiter(rt);
    const exact = { name: 'test-exact', limit: 3, windowMs: 60_000 };
    rt.clock.set('2026-03-02T10:00:30Z');
    expect([await allowed(a, exact), await allowed(b, exact), await allowed(a, exact), await allowed(b, exact)]).toEqual([true, true, true, false]);
    expect(await allowed(a, exact, 'other')).toBe(true);
    const over = await a.hit(exact, 'k');
    expect(over).toMatchObject({ allowed: false, count: 5, retryAfterMs: 60_000 });
    // The next window starts afresh, in the same row; the key is stored as a keyed hash.
    rt.clock.set('2026-03-02T10:01:30Z');
    expect(await allowed(b, exact)).toBe(true);
    expect(await b.peek(exact, 'k')).toBe(1);
    const keys = (await rt.database.db.selectFrom('rate_limits').select('key').where('key', 'like', 'test-exact:%').execute()).map((r) => r.key);
    expect(keys).toHaveLength(2);
    expect(keys).not.toContain('test-exact:k');
    expect(keys).not.toContain('test-exact:other');
    await b.giveBack(exact, 'k');
    expect(await a.peek(exact, 'k')).toBe(0);
  });

  it('in batches: an instance counts locally between flushes, and reads the others\' hits at the next one', async () => {
    const c = new RateLimiter(rt);
    const d = new RateLimiter(rt);
    const batched = { name: 'test-batched', limit: 5, windowMs: 60_000, batchMs: 1000 };
    rt.clock.set('2026-03-02T10:02:30Z');
    const fromC = [];
    for (let i = 0; i < 4; i++) fromC.push(await allowed(c, batched));
    expect(fromC).toEqual([true, true, true, true]);
    // Only the first hit was written; the others wait for the flush, but count already.
    expect(await d.peek(batched, 'k')).toBe(1);
    expect(await c.peek(batched, 'k')).toBe(4);
    await c.flush();
    expect([await allowed(d, batched), await allowed(d, batched)]).toEqual([true, false]);
    rt.clock.set('2026-03-02T10:02:31Z');
    expect(await allowed(c, batched)).toBe(false);
    await d.flush();
    expect(await c.peek(batched, 'k')).toBe(7);
    // A waiting hit given back never reaches the table.
    await d.hit(batched, 'k');
    await d.giveBack(batched, 'k');
    await d.flush();
    expect(await c.peek(batched, 'k')).toBe(7);
    // Its window ended: the next hit reads the fresh count at once.
    rt.clock.set('2026-03-02T10:03:31Z');
    expect(await c.hit(batched, 'k')).toMatchObject({ allowed: true, count: 1 });
  });
});
