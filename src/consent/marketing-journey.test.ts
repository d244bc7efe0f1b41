/**
 * The marketing defects of issue 15 over HTTP, on each database: a purpose declared without a
 * lawful basis allows no one; withdrawing email consent leaves no other channel allowed on that
 * consent; an objection to direct marketing stops every channel; every reason comes with its
 * plain-words explanation (the same words as docs/marketing-reasons.md); and an address can be
 * looked up on the suppression list.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { REASON_TEXT } from './audience.reasons.js';
import { REASONS } from './audience.rules.js';
import { systemActor } from '../kernel/actors.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/consent/no-basis.yaml');
const DOC = readFileSync(path.resolve(import.meta.dirname, '../../docs/marketing-reasons.md'), 'utf8');

describe('the audience-check reasons', () => {
  it('each has plain words, and the docs say the same words', () => {
    for (const r of REASONS) {
      expect(REASON_TEXT[r], r).toMatch(/^(Allowed|Blocked): /);
      expect(DOC, `docs/marketing-reasons.md explains ${r}`).toContain(`| \`${r}\` | ${REASON_TEXT[r]} |`);
    }
  });
});

describe.each(dialects)('marketing rules over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  const auth = () => ({ authorization: `Bearer ${owner}` });

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: POLICY });
    app = await buildApp({ ...rt, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: first!.password } })).json().token;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  const customer = async (email: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: auth(),
      payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Ada Lovelace' }, { category: 'email-address', value: email }] },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const consent = (id: string, body: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/v1/subjects/${id}/consent`, headers: auth(), payload: body });
  const check = async (purpose: string, channel: string, recipients: string[]) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/marketing/audience-check', headers: auth(), payload: { purpose, channel, recipients } });
    expect(res.statusCode).toBe(200);
    return res.json() as { results: Array<{ allowed: boolean; reason: string; explanation: string }>; reasons: Array<{ reason: string; count: number; explanation: string }> };
  };

  it('a purpose declared without a lawful basis allows no one, even with consent, and says why in plain words', async () => {
    const id = await customer('ada@example.org');
    expect((await consent(id, { purpose: 'catalogue', channels: ['email', 'post'], action: 'given', method: 'ticked-box', wording: 'Send me the catalogue' })).statusCode).toBe(201);
    for (const channel of ['post', 'email']) {
      const r = await check('catalogue', channel, ['ada@example.org']);
      expect(r.results).toEqual([{ index: 0, identifier: 'ada@example.org', allowed: false, reason: 'no-lawful-basis', explanation: REASON_TEXT['no-lawful-basis'] }]);
      expect(r.reasons).toEqual([{ reason: 'no-lawful-basis', allowed: false, count: 1, explanation: REASON_TEXT['no-lawful-basis'] }]);
    }
  });

  it('withdrawing email consent leaves post blocked where consent is the basis; an objection stops every channel', async () => {
    const id = await customer('grace@example.org');
    expect((await consent(id, { purpose: 'newsletter', channels: ['email'], action: 'given', method: 'ticked-box', wording: 'Send me the newsletter' })).statusCode).toBe(201);
    expect((await check('newsletter', 'email', ['grace@example.org'])).results[0]).toMatchObject({ allowed: true, reason: 'consent' });
    expect((await consent(id, { purpose: 'newsletter', channels: ['email'], action: 'withdrawn', method: 'email' })).statusCode).toBe(201);
    // The withdrawal also puts the address on the suppression list for that purpose and channel.
    expect((await check('newsletter', 'email', ['grace@example.org'])).results[0]).toMatchObject({ allowed: false, reason: 'suppressed', explanation: REASON_TEXT.suppressed });
    // Post for the same purpose rests on consent too, which was never given for post: blocked, never "legitimate interest".
    expect((await check('newsletter', 'post', ['grace@example.org'])).results[0]).toMatchObject({ allowed: false, reason: 'no-consent', explanation: REASON_TEXT['no-consent'] });

    // On legitimate interests, post is allowed until the person objects; then nothing is.
    expect((await check('offers', 'post', ['grace@example.org'])).results[0]).toMatchObject({ allowed: true, reason: 'legitimate-interest' });
    const objected = await app.inject({ method: 'POST', url: `/api/v1/subjects/${id}/marketing-objection`, headers: auth(), payload: { method: 'phone' } });
    expect(objected.statusCode).toBe(200);
    expect(objected.json().suppressed).toBeGreaterThan(0);
    for (const [purpose, channel] of [['offers', 'post'], ['offers', 'email'], ['newsletter', 'post']] as const) {
      const r = await check(purpose, channel, ['grace@example.org']);
      expect(r.results[0]!.allowed, `${purpose} by ${channel}`).toBe(false);
    }
    expect((await check('offers', 'post', ['grace@example.org'])).results[0]).toMatchObject({ reason: 'suppressed', explanation: REASON_TEXT.suppressed });

    // The suppression list answers for the address, in a body, never a URL.
    const looked = await app.inject({ method: 'POST', url: '/api/v1/marketing/suppressions/check', headers: auth(), payload: { identifier: 'Grace@Example.org' } });
    expect(looked.statusCode).toBe(200);
    expect(looked.json().suppressed).toBe(true);
    expect(looked.json().entries).toEqual(expect.arrayContaining([expect.objectContaining({ channel: 'email', scope: 'newsletter', reason: 'opt-out' }), expect.objectContaining({ channel: '*', scope: '*', reason: 'objection' })]));
    const clear = await app.inject({ method: 'POST', url: '/api/v1/marketing/suppressions/check', headers: auth(), payload: { identifier: 'nobody@example.org' } });
    expect(clear.json()).toEqual({ suppressed: false, entries: [] });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/marketing/suppressions/check', headers: auth(), payload: { identifier: 'not an address' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('imports a TPS register over HTTP, so calls can be screened from the console', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/marketing/tps/ctps', headers: auth(), payload: { lines: ['01632 960001', '01632960001', 'nonsense'] } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ register: 'ctps', numbers: 1, duplicates: 1, rejected: [{ line: 3, problem: 'not a phone number' }] });
    const status = await app.inject({ url: '/api/v1/marketing/tps', headers: auth() });
    expect(status.json().registers).toEqual(expect.arrayContaining([expect.objectContaining({ register: 'ctps', numbers: 1, stale: false })]));
    const bad = await app.inject({ method: 'POST', url: '/api/v1/marketing/tps/dnc', headers: auth(), payload: { lines: ['01632 960001'] } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
