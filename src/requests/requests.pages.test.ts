import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../audit/audit.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { getRequest } from './requests.service.js';
import { actorWith } from '../../test/support/runtime.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

describe.each(dialects)('the privacy centre request form on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: POLICY, smtpUrl: smtp.url });
    rt.clock.set('2026-03-02T10:00:00Z');
    app = await buildApp({ ...rt, logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  it('takes a person from their email address to a request with a reference and a date', async () => {
    const start = await app.inject({ method: 'GET', url: '/privacy/requests' });
    expect(start.statusCode).toBe(200);
    expect(start.headers['content-type']).toContain('text/html');
    expect(start.headers['content-security-policy']).toContain("default-src 'none'");
    expect(start.body).toContain('action="/privacy/requests/code"');

    const before = smtp.messages.length;
    const asked = await app.inject({ method: 'POST', url: '/privacy/requests/code', headers: FORM, payload: form({ email: 'pat@example.com' }) });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('name="code"');
    expect(asked.body).toContain('value="access"');
    expect(asked.body).toContain('A copy of the personal information you hold about me');
    const code = await smtp.codeFor('pat@example.com', before);

    const wrong = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ email: 'pat@example.com', code: '000000', type: 'access', name: 'Pat', details: 'Orders since 2020' }) });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('That code is not right');
    // What they typed is kept for the next try.
    expect(wrong.body).toContain('Orders since 2020');

    const done = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ email: 'pat@example.com', code, type: 'erasure', name: 'Pat Example', details: 'Orders since 2020' }) });
    expect(done.statusCode).toBe(201);
    const reference = /Your reference is <strong>([^<]+)<\/strong>/.exec(done.body)![1]!;
    // Received Monday 2 March 2026: due Thursday 2 April 2026.
    expect(done.body).toContain("Thursday 2 April 2026");
    const view = await getRequest(rt, actorWith('dpo'), reference);
    expect(view).toMatchObject({ type: 'erasure', channel: 'web', receivedOn: '2026-03-02' });
    // The pages and the audit trail never carry the address.
    const audit = JSON.stringify((await listAudit(rt.database.db, { limit: 100 })).entries);
    expect(audit).not.toContain('pat@example.com');
    expect(done.body).not.toContain('pat@example.com');
  });

  it('answers bad input with the form again and a plain reason, never an error page', async () => {
    const notEmail = await app.inject({ method: 'POST', url: '/privacy/requests/code', headers: FORM, payload: form({ email: 'not an address' }) });
    expect(notEmail.statusCode).toBe(400);
    expect(notEmail.body).toContain('That is not an email address.');
    const empty = await app.inject({ method: 'POST', url: '/privacy/requests/code', headers: FORM, payload: '' });
    expect(empty.statusCode).toBe(400);
    const json = await app.inject({ method: 'POST', url: '/privacy/requests/code', headers: { 'content-type': 'application/json' }, payload: '{"email":"x@example.com"}' });
    expect(json.statusCode).toBe(400);
    const noType = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ email: 'pat@example.com', code: '123456', type: 'everything' }) });
    expect(noType.statusCode).toBe(400);
    expect(noType.body).toContain('Choose what you would like us to do.');
    const hostile = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ email: '"><script>alert(1)</script>', code: 'x'.repeat(5000), type: 'access', name: '<b>x</b>' }) });
    expect(hostile.statusCode).toBe(400);
    expect(hostile.body).not.toContain('<script>alert(1)</script>');
    expect(hostile.body).not.toContain('<b>x</b>');
    const huge = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ details: 'x'.repeat(40_000) }) });
    expect(huge.statusCode).toBe(413);
  });

  it('refuses a card number in the details without showing it back', async () => {
    const before = smtp.messages.length;
    await app.inject({ method: 'POST', url: '/privacy/requests/code', headers: FORM, payload: form({ email: 'sam@example.com' }) });
    const code = await smtp.codeFor('sam@example.com', before);
    const r = await app.inject({ method: 'POST', url: '/privacy/requests/submit', headers: FORM, payload: form({ email: 'sam@example.com', code, type: 'access', details: 'my card 4111 1111 1111 1111' }) });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('take out any bank or card numbers');
    expect(r.body).not.toContain('4111');
    // The promises board counts it, with nothing but the day and the way in.
    expect(await rt.database.db.selectFrom('card_refusals').selectAll().execute()).toEqual([{ day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), source: 'public-form', refusals: 1 }]);
  });
});
