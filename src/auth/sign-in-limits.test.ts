/**
 * Sign-in limits (issue 12, item 10): counted before the slow hash, shared by every instance on the
 * database, per address and per account, slowing an account under attack without locking out its
 * owner, and with the client address taken from a trusted proxy only when configured.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { usersWithPassword } from '../../test/support/factories.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { loadConfig } from '../config/config.js';
import { buildApp } from '../server/app.js';
import { LOGIN_LIMITS } from './auth.service.js';
import { hit, peek, type LimitRule } from '../kernel/rate-limit.js';

const PASSWORD = 'correct horse battery staple';

describe.each(dialects)('sign-in limits on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let second: FastifyInstance;
  const login = (a: FastifyInstance, username: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    a.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress, headers });

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, logger: false });
    // A second instance on the same database, as two `steward serve` processes would be.
    second = await buildApp({ ...rt, logger: false });
    await usersWithPassword(rt, ['alice', 'bob', 'carol', 'dave'], PASSWORD, actorWith('owner'));
  });
  afterAll(async () => {
    await app?.close();
    await second?.close();
    await rt?.close();
  });

  it('100 parallel wrong passwords from one address: at most 10 are checked, the rest get 429 at once', async () => {
    rt.clock.set('2026-03-02T10:00:00Z');
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(app, `nobody-${i % 7}`, 'wrong password', '203.0.113.1')));
    const codes = answers.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 401).length).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(90);
    expect(codes.every((c) => c === 401 || c === 429)).toBe(true);
    const limited = answers.find((r) => r.statusCode === 429)!;
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    // The right password from that address waits too; from another address it is fine.
    expect((await login(app, 'alice', PASSWORD, '203.0.113.1')).statusCode).toBe(429);
    expect((await login(app, 'alice', PASSWORD, '203.0.113.2')).statusCode).toBe(200);
  }, 120_000);

  // Each allowed try costs one scrypt hash (a second or more on a busy machine), so the tests below
  // bring a counter near its limit with the limiter itself and spend real sign-ins only where it matters.
  const prefill = async (rule: LimitRule, key: string, n: number) => {
    for (let i = 0; i < n; i++) await hit(rt, rule, key);
  };

  it('is shared by instances on one database, and successful sign-ins do not use it up', async () => {
    rt.clock.set('2026-03-02T11:00:00Z');
    await prefill(LOGIN_LIMITS.address, '198.51.100.7', 8);
    expect((await login(second, 'bob', PASSWORD, '198.51.100.7')).statusCode).toBe(200);
    expect(await peek(rt, LOGIN_LIMITS.address, '198.51.100.7')).toBe(8);
    expect((await login(app, 'ghost', 'wrong password', '198.51.100.7')).statusCode).toBe(401);
    expect((await login(second, 'ghost', 'wrong password', '198.51.100.7')).statusCode).toBe(401);
    const refused = await login(app, 'bob', PASSWORD, '198.51.100.7');
    expect([refused.statusCode, refused.json().error.code]).toEqual([429, 'RATE_LIMITED']);
    expect((await login(second, 'bob', PASSWORD, '198.51.100.7')).statusCode).toBe(429);
    // A new window, fifteen minutes on.
    rt.clock.set('2026-03-02T11:15:01Z');
    expect((await login(second, 'bob', PASSWORD, '198.51.100.7')).statusCode).toBe(200);
  }, 60_000);

  it('an account guessed at from many addresses is slowed, not locked: its owner still signs in', async () => {
    rt.clock.set('2026-03-02T12:00:00Z');
    // Ten wrong passwords for carol from ten addresses.
    await prefill(LOGIN_LIMITS.account, 'carol', 10);
    // Past the account's limit each address gets one try a minute at it.
    expect((await login(app, 'carol', 'wrong password', '192.0.2.50')).statusCode).toBe(401);
    expect((await login(app, 'carol', 'wrong password', '192.0.2.50')).statusCode).toBe(429);
    // Carol, from her own address, with her password: in; once a minute while the guessing goes on.
    expect((await login(second, 'carol', PASSWORD, '192.0.2.200')).statusCode).toBe(200);
    expect((await login(second, 'carol', PASSWORD, '192.0.2.200')).statusCode).toBe(429);
    rt.clock.set('2026-03-02T12:01:01Z');
    expect((await login(second, 'carol', PASSWORD, '192.0.2.200')).statusCode).toBe(200);
    // Other accounts are not slowed by it.
    expect((await login(app, 'dave', PASSWORD, '192.0.2.50')).statusCode).toBe(200);
  }, 60_000);

  it('takes the client address from X-Forwarded-For only from a configured proxy (trust_proxy)', async () => {
    rt.clock.set('2026-03-02T13:00:00Z');
    const config = loadConfig({ dataDir: rt.dataDir, policy: rt.policy.file, trustProxy: '127.0.0.1' }, {}, rt.dataDir);
    expect(config.trustProxy).toEqual(['127.0.0.1']);
    const proxied = await buildApp({ ...rt, config, logger: false });
    try {
      const via = (client: string) => login(proxied, 'dave', PASSWORD, '127.0.0.1', { 'x-forwarded-for': client });
      await prefill(LOGIN_LIMITS.address, '10.9.0.1', 10);
      expect((await via('10.9.0.1')).statusCode).toBe(429);
      // Another client behind the same proxy is not locked out with the first.
      expect((await via('10.9.0.2')).statusCode).toBe(200);
      // Without trust_proxy the header is ignored: everyone behind the proxy is one address.
      await prefill(LOGIN_LIMITS.address, '127.0.0.9', 10);
      expect((await login(app, 'dave', PASSWORD, '127.0.0.9', { 'x-forwarded-for': '10.9.1.99' })).statusCode).toBe(429);
    } finally {
      await proxied.close();
    }
  }, 60_000);

  it('refuses a trust_proxy setting it cannot read, naming it', () => {
    expect(() => loadConfig({ trustProxy: 'the usual' }, {}, '/srv')).toThrow(/--trust-proxy/);
    expect(() => loadConfig({}, { STEWARD_TRUST_PROXY: 'maybe' }, '/srv')).toThrow(/STEWARD_TRUST_PROXY/);
    expect(loadConfig({}, { STEWARD_TRUST_PROXY: '2' }, '/srv').trustProxy).toBe(2);
    expect(loadConfig({}, { STEWARD_TRUST_PROXY: '10.0.0.0/8, ::1' }, '/srv').trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({}, {}, '/srv').trustProxy).toBe(false);
  });
});
