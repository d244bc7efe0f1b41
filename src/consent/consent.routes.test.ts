import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { getConsent } from './consent.service.js';
import { marketingHeaders } from './links.js';
import { consentRenewalJob, sendRenewalRequests } from './renewal.service.js';
import { systemActor } from '../kernel/actors.js';

const CONSENT_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/consent/policy.yaml');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(dialects)('consent over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let owner: string;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: CONSENT_POLICY, smtpUrl: smtp.url });
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 1024 * 1024 }, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: first!.password } })).json().token;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  const customer = async (email: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: auth(owner),
      payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Grace Hopper' }, { category: 'email-address', value: email }] },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const consent = (id: string, body: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/v1/subjects/${id}/consent`, headers: auth(owner), payload: body });
  const audience = (purpose: string, recipients: string[], channel = 'email') =>
    app.inject({ method: 'POST', url: '/api/v1/marketing/audience-check', headers: auth(owner), payload: { purpose, channel, recipients } });

  it('withdraws by one-click unsubscribe (RFC 8058) without sign-in, and the next audience check blocks the person', async () => {
    const id = await customer('grace@example.org');
    const given = await consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'ticked-box', wording: 'Send me the newsletter' });
    expect(given.statusCode).toBe(201);
    expect(given.json().states[0]).toMatchObject({ status: 'active' });
    const before = await audience('newsletter', ['grace@example.org']);
    expect(before.json().results).toEqual([{ index: 0, identifier: 'grace@example.org', allowed: true, reason: 'consent', explanation: expect.stringMatching(/^Allowed: the person gave consent/) }]);

    const headers = marketingHeaders(rt, id, 'newsletter');
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const url = new URL(/^<(.+)>$/.exec(headers['List-Unsubscribe']!)![1]!);
    const page = await app.inject({ url: url.pathname + url.search });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    // GET alone changes nothing: mail scanners follow links.
    expect((await audience('newsletter', ['grace@example.org'])).json().results[0].allowed).toBe(true);

    const post = await app.inject({ method: 'POST', url: url.pathname + url.search, headers: FORM, payload: 'List-Unsubscribe=One-Click', remoteAddress: '203.0.113.7' });
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain('unsubscribed');
    const after = await audience('newsletter', ['grace@example.org']);
    expect(after.json()).toMatchObject({ counts: { recipients: 1, allowed: 0, blocked: 1, byReason: { suppressed: 1 } }, results: [{ allowed: false, reason: 'suppressed' }] });
    // Again, and as multipart (both allowed by RFC 8058): still fine.
    const again = await app.inject({ method: 'POST', url: url.pathname + url.search, headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n' });
    expect(again.statusCode).toBe(200);
    const history = (await app.inject({ url: `/api/v1/subjects/${id}/consent`, headers: auth(owner) })).json();
    expect(history.states[0].status).toBe('withdrawn');
    expect(history.history.map((e: { method: string }) => e.method)).toEqual(['ticked-box', 'unsubscribe-link', 'unsubscribe-link']);

    const forged = (url.pathname + url.search).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await app.inject({ method: 'POST', url: forged, headers: FORM, payload: 'List-Unsubscribe=One-Click' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/unsubscribe?t=garbage' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/unsubscribe' })).statusCode).toBe(400);
  });

  it('sends a renewal email before consent lapses, once, with a one-click renew link', async () => {
    const id = await customer('renew.me@example.org');
    await consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'web', wording: 'Send me the newsletter' });
    rt.clock.set('2029-02-10T09:00:00Z');
    try {
      const sentBefore = smtp.messages.length;
      const run = await sendRenewalRequests(rt);
      expect(run.sent).toBeGreaterThanOrEqual(1);
      await smtp.waitFor(sentBefore + run.sent);
      const mail = smtp.messages.find((m) => m.envelopeTo.includes('renew.me@example.org'))!;
      expect(mail.subject).toContain('Please renew your consent');
      expect(mail.headers.find((h) => h.key === 'list-unsubscribe-post')?.value).toBe('List-Unsubscribe=One-Click');
      expect((await sendRenewalRequests(rt)).sent).toBe(0);
      // As steward serve's scheduler runs it.
      expect(await consentRenewalJob(rt).run(rt.clock.now())).toBe('0 due: 0 sent, 0 skipped, 0 failed');
      const link = new URL(/https?:\/\/\S+\/consent\/renew\?t=\S+/.exec(mail.text!)![0]);
      expect((await app.inject({ url: link.pathname + link.search })).body).toContain('Yes, keep sending it');
      const renewed = await app.inject({ method: 'POST', url: link.pathname + link.search, headers: FORM, payload: '' });
      expect(renewed.statusCode).toBe(200);
      const states = (await getConsent(rt, systemActor('test'), id)).states;
      expect(states[0]).toMatchObject({ status: 'active', expiresAt: '2032-02-10T09:00:00.000Z' });
    } finally {
      rt.clock.set('2026-03-02T10:00:00Z');
    }
  });

  it('lets a person verify their email with a code and change their choices; unknown addresses get the same answer', async () => {
    const id = await customer('prefs@example.org');
    await consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'web', wording: 'Send me the newsletter' });
    expect((await app.inject({ url: '/preferences' })).body).toContain('name="email"');
    const n = smtp.messages.length;
    const known = await app.inject({ method: 'POST', url: '/preferences/code', headers: FORM, payload: 'email=prefs%40example.org' });
    const unknown = await app.inject({ method: 'POST', url: '/preferences/code', headers: FORM, payload: 'email=stranger%40example.org' });
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body.replace('stranger@example.org', 'X')).toBe(known.body.replace('prefs@example.org', 'X'));
    await smtp.waitFor(n + 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages.slice(n).map((m) => m.envelopeTo[0])).toEqual(['prefs@example.org']);
    const code = /\b(\d{6})\b/.exec(smtp.messages[n]!.text!)![1]!;
    const wrong = await app.inject({ method: 'POST', url: '/preferences/verify', headers: FORM, payload: `email=prefs%40example.org&code=${code === '000000' ? '111111' : '000000'}` });
    expect(wrong.statusCode).toBe(400);
    const ok = await app.inject({ method: 'POST', url: '/preferences/verify', headers: FORM, payload: `email=prefs%40example.org&code=${code}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/value="newsletter:email" checked/);
    expect(ok.body).toMatch(/value="offers:email">/);
    // The code is single-use.
    expect((await app.inject({ method: 'POST', url: '/preferences/verify', headers: FORM, payload: `email=prefs%40example.org&code=${code}` })).statusCode).toBe(400);
    const session = /name="session" value="([^"]+)"/.exec(ok.body)![1]!;
    const saved = await app.inject({ method: 'POST', url: '/preferences/save', headers: FORM, payload: `session=${encodeURIComponent(session)}&choice=offers%3Aemail` });
    expect(saved.statusCode).toBe(200);
    expect(saved.body).toContain('Your choices are saved');
    expect(saved.body).toMatch(/value="newsletter:email">/);
    expect((await audience('newsletter', ['prefs@example.org'])).json().results[0].reason).toBe('suppressed');
    expect((await audience('offers', ['prefs@example.org'])).json().results[0].reason).toBe('consent');
    const stop = await app.inject({ method: 'POST', url: '/preferences/save', headers: FORM, payload: `session=${encodeURIComponent(session)}&stop-all=yes` });
    expect(stop.statusCode).toBe(200);
    expect((await audience('offers', ['prefs@example.org'])).json().results[0].reason).toBe('suppressed');
    expect((await app.inject({ method: 'POST', url: '/preferences/save', headers: FORM, payload: 'session=forged.token' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/preferences/code', headers: FORM, payload: 'email=not-an-address' })).statusCode).toBe(400);
  });

  it('answers bad input with a clear error and a stable code, never a 500', async () => {
    const id = await customer('bad.input@example.org');
    const cases: Array<[Promise<{ statusCode: number; json(): { error: { code: string } } }>, number, string]> = [
      [app.inject({ method: 'POST', url: '/api/v1/marketing/audience-check', payload: { purpose: 'newsletter', channel: 'email', recipients: ['a@b.co'] } }), 401, 'UNAUTHENTICATED'],
      [audience('newsletter', [], 'email'), 400, 'VALIDATION_FAILED'],
      [audience('no-such-purpose', ['a@b.co']), 400, 'VALIDATION_FAILED'],
      [audience('newsletter', ['a@b.co'], 'fax'), 400, 'VALIDATION_FAILED'],
      [audience('newsletter', ['x'.repeat(5000)]), 400, 'VALIDATION_FAILED'],
      [app.inject({ method: 'POST', url: '/api/v1/marketing/audience-check', headers: auth(owner), payload: { purpose: 'newsletter', channel: 'email', recipients: 'a@b.co' } }), 400, 'VALIDATION_FAILED'],
      [app.inject({ method: 'POST', url: '/api/v1/marketing/audience-check', headers: { ...auth(owner), 'content-type': 'application/json' }, payload: '{"purpose":' }), 400, 'VALIDATION_FAILED'],
      [consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'pre-ticked', wording: 'x' }), 400, 'VALIDATION_FAILED'],
      [consent(id, { purpose: 'newsletter', channels: ['email'], action: 'exploded', method: 'form' }), 400, 'VALIDATION_FAILED'],
      [consent('0190a0a0-0000-7000-8000-000000000000', { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'form', wording: 'x' }), 404, 'NOT_FOUND'],
      [consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'form', wording: 'x', birthDate: '2012-02-30' }), 400, 'VALIDATION_FAILED'],
      [app.inject({ url: '/api/v1/subjects/not-a-uuid/consent', headers: auth(owner) }), 400, 'VALIDATION_FAILED'],
      [app.inject({ method: 'POST', url: '/api/v1/marketing/suppressions', headers: auth(owner), payload: { channel: 'email', reason: 'opt-out' } }), 400, 'VALIDATION_FAILED'],
      [app.inject({ method: 'POST', url: '/api/v1/marketing/suppressions/lift', headers: auth(owner), payload: { identifier: 'nonsense', reason: 'x' } }), 400, 'VALIDATION_FAILED'],
    ];
    for (const [p, status, code] of cases) {
      const res = await p;
      expect([res.statusCode, res.json().error.code]).toEqual([status, code]);
    }
    // Export carries hashes only; TPS status is readable; the renewal job is for the privacy roles.
    const exp = await app.inject({ url: '/api/v1/marketing/suppressions', headers: auth(owner) });
    expect(exp.statusCode).toBe(200);
    expect(exp.body).not.toMatch(/@example\.org/);
    expect((await app.inject({ url: '/api/v1/marketing/tps', headers: auth(owner) })).json().registers).toHaveLength(2);
    const doc = (await app.inject('/api/v1/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/marketing/audience-check', '/api/v1/subjects/{id}/consent']));
    expect(Object.keys(doc.paths)).not.toContain('/unsubscribe/{token}');
  });

  it('rate-limits the public pages per IP', async () => {
    const limited = await buildApp({ ...rt, logger: false });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 62; i++) codes.push((await limited.inject({ url: '/preferences', remoteAddress: '198.51.100.9' })).statusCode);
      expect(codes.slice(0, 60).every((c) => c === 200)).toBe(true);
      expect(codes.slice(60)).toEqual([429, 429]);
      expect((await limited.inject({ url: '/preferences', remoteAddress: '198.51.100.10' })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
