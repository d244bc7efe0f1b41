import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { loadConfig } from '../config/config.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { bannerConfig, gzippedSize } from './cookies.banner.js';
import { allowedOrigins } from './cookies.routes.js';
import { systemActor } from '../kernel/actors.js';

export const COOKIE_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/cookies/policy.yaml');
const SITE = 'https://www.test.example';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0';

describe.each(dialects)('the cookie banner and consent log over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  let ownerPassword: string;
  let noticeVersion: string;
  let bannerVersion: string;

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: COOKIE_POLICY });
    app = await buildApp({ ...rt, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    ownerPassword = first!.password;
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: ownerPassword } })).json().token;
    const config = bannerConfig(rt.policy);
    noticeVersion = config.noticeVersion;
    bannerVersion = config.bannerVersion;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  const choice = (over: Record<string, unknown> = {}) => ({
    choices: { analytics: true, marketing: false, statistics: true },
    method: 'banner',
    noticeVersion,
    bannerVersion,
    ...over,
  });
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/cookies/consent', headers: { origin: SITE, 'user-agent': UA, ...headers }, payload: payload as Record<string, unknown> });

  it('serves the banner configured from the declaration, at most 8 KB gzipped, with GPC marked when the browser sends it', async () => {
    const res = await app.inject({ method: 'GET', url: '/cookies/banner.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/javascript');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers.vary).toContain('Sec-GPC');
    expect(gzippedSize(res.body)).toBeLessThanOrEqual(8 * 1024);
    for (const text of ['_test_analytics', 'Example Analytics Ltd', '13 months', '_test_ads*', '_test_stats', 'steward_consent', noticeVersion, bannerVersion, '"kind":"exempt"']) {
      expect(res.body).toContain(text);
    }
    expect(res.body).toContain('"gpc":false');
    const gpc = await app.inject({ method: 'GET', url: '/cookies/banner.js', headers: { 'sec-gpc': '1' } });
    expect(gpc.body).toContain('"gpc":true');
  });

  it('answers the CORS preflight for the declared website only', async () => {
    const ok = await app.inject({ method: 'OPTIONS', url: '/cookies/consent', headers: { origin: SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(SITE);
    expect(ok.headers['access-control-allow-methods']).toContain('POST');
    expect(ok.headers['access-control-allow-headers']).toContain('content-type');
    const other = await app.inject({ method: 'OPTIONS', url: '/cookies/consent', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const post403 = await post(choice(), { origin: 'https://evil.example' });
    expect(post403.statusCode).toBe(403);
    expect(post403.json().error.code).toBe('FORBIDDEN');
  });

  it('records a choice as proof: consent id, choices, notice and banner versions, GPC, time, a user-agent hash and no address', async () => {
    const res = await post(choice({ consentId: 'AAAAAAAAAAAAAAAAAAAAAA' }), { 'sec-gpc': '1' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['access-control-allow-origin']).toBe(SITE);
    const body = res.json();
    expect(body).toMatchObject({
      consentId: 'AAAAAAAAAAAAAAAAAAAAAA',
      method: 'banner',
      outcome: 'custom',
      choices: { analytics: true, marketing: false, statistics: true },
      gpc: true,
      noticeVersion,
      bannerVersion,
      recordedAt: '2026-03-02T10:00:00.000Z',
      userAgentHash: createHash('sha256').update(UA).digest('hex'),
      origin: SITE,
    });
    const rows = await rt.database.db.selectFrom('cookie_consents').selectAll().where('consent_id', '=', 'AAAAAAAAAAAAAAAAAAAAAA').execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('127.0.0.1');
    expect(JSON.stringify(rows)).not.toContain('TestBrowser');
    // Without an id, the server makes one.
    const fresh = await post(choice({ choices: { analytics: false, marketing: false, statistics: false } }));
    expect(fresh.json()).toMatchObject({ outcome: 'reject-all', gpc: false });
    expect(fresh.json().consentId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('answers bad input with clear codes, never a 500, and with CORS headers so the page can read them', async () => {
    const cases: Array<[unknown, number, string]> = [
      [choice({ choices: { analytics: true, marketing: false, statistics: true, functional: true } }), 400, 'not a category'],
      [choice({ choices: { analytics: true } }), 400, 'missing'],
      [choice({ choices: { tracking: true } }), 400, ''],
      [choice({ noticeVersion: 'f'.repeat(64) }), 400, 'notice version'],
      [choice({ bannerVersion: 'not hex' }), 400, 'banner version'],
      [choice({ consentId: 'short' }), 400, 'consent id'],
      [choice({ method: 'telepathy' }), 400, ''],
      [choice({ extra: 1 }), 400, ''],
      [{ ...choice(), choices: 'yes' }, 400, ''],
    ];
    for (const [payload, status, text] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json())).toContain(text);
      expect(res.headers['access-control-allow-origin']).toBe(SITE);
    }
    const malformed = await app.inject({ method: 'POST', url: '/cookies/consent', headers: { origin: SITE, 'content-type': 'application/json' }, payload: '{"choices":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED');
    const big = await post({ ...choice(), consentId: 'x'.repeat(5000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('lets a visitor see and download their own record by the id in their cookie', async () => {
    const id = 'BBBBBBBBBBBBBBBBBBBBBB';
    await post(choice({ consentId: id }));
    rt.clock.advance(60_000);
    await post(choice({ consentId: id, choices: { analytics: false, marketing: false, statistics: false }, method: 'settings' }));
    const res = await app.inject({ method: 'GET', url: `/cookies/consent/${id}`, headers: { origin: SITE } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(SITE);
    expect(res.json().records.map((r: { outcome: string; method: string }) => [r.outcome, r.method])).toEqual([
      ['custom', 'banner'],
      ['reject-all', 'settings'],
    ]);
    const file = await app.inject({ method: 'GET', url: `/cookies/consent/${id}?download=1` });
    expect(file.headers['content-disposition']).toContain('attachment');
    expect(file.json().consentId).toBe(id);
    expect((await app.inject({ method: 'GET', url: '/cookies/consent/CCCCCCCCCCCCCCCCCCCCCC' })).json().error.code).toBe('NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/cookies/consent/bad' })).json().error.code).toBe('VALIDATION_FAILED');
  });

  it('lets staff look a record up (audited) and count choices per day and category', async () => {
    const id = 'DDDDDDDDDDDDDDDDDDDDDD';
    await post(choice({ consentId: id, choices: { analytics: true, marketing: true, statistics: true } }));
    expect((await app.inject({ method: 'GET', url: `/api/v1/cookies/consents/${id}` })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: `/api/v1/cookies/consents/${id}`, headers: { authorization: `Bearer ${owner}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().records[0].outcome).toBe('accept-all');
    const audit = await rt.database.db.selectFrom('audit_log').select(['action', 'details']).where('action', '=', 'cookies.consent.read').execute();
    expect(audit.some((a) => a.details.includes(id))).toBe(true);

    rt.clock.advance(24 * 3600_000);
    // A new day: sign in again.
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: ownerPassword } })).json().token;
    await post(choice({ choices: { analytics: false, marketing: false, statistics: false }, method: 'gpc', gpc: true }));
    const counts = await app.inject({ method: 'GET', url: '/api/v1/cookies/counts?from=2026-03-01&to=2026-03-31', headers: { authorization: `Bearer ${owner}` } });
    expect(counts.statusCode).toBe(200);
    const c = counts.json();
    const all = await rt.database.db.selectFrom('cookie_consents').select(['outcome', 'day']).execute();
    expect(c.totals.choices).toBe(all.length);
    expect(c.totals.outcomes['accept-all']).toBe(all.filter((r) => r.outcome === 'accept-all').length);
    const lastDay = c.days.at(-1);
    expect(lastDay).toMatchObject({ day: '2026-03-03', choices: 1, gpc: 1, outcomes: { 'reject-all': 1 }, categories: { analytics: { granted: 0, refused: 1 } } });
    expect(c.days[0].categories.analytics.granted).toBeGreaterThan(0);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/cookies/counts?from=2026-04-01&to=2026-03-01', headers: { authorization: `Bearer ${owner}` } });
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('limits choices per address (the limiter itself: src/kernel/rate-limit.test.ts)', async () => {
    let status = 0;
    for (let i = 0; i < 130 && status !== 429; i++) status = (await post(choice({ choices: { analytics: false, marketing: false, statistics: true } }))).statusCode;
    expect(status).toBe(429);
    const limited = await post(choice());
    expect(limited.json().error.code).toBe('RATE_LIMITED');
  });
});

describe('allowed websites', () => {
  it('come from the cookie_origins setting, or else from the declaration\'s web addresses', async () => {
    const rt = await createTestRuntime('sqlite', { policyFile: COOKIE_POLICY });
    try {
      expect([...allowedOrigins({ cookieOrigins: undefined }, rt.policy.policy)]).toEqual([SITE]);
      const config = loadConfig({}, { STEWARD_COOKIE_ORIGINS: 'https://a.example, http://localhost:3000' }, '/tmp');
      expect(config.cookieOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
      expect([...allowedOrigins(config, rt.policy.policy)]).toEqual(['https://a.example', 'http://localhost:3000']);
      expect(() => loadConfig({}, { STEWARD_COOKIE_ORIGINS: 'https://a.example/path' }, '/tmp')).toThrow(/STEWARD_COOKIE_ORIGINS/);
    } finally {
      await rt.close();
    }
  });
});
