import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { aPerson, apiTokensAs, bearer, signInOwner } from '../../test/support/factories.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/breaches/policy.yaml');

describe.each(dialects)('breaches over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let tokens: Record<'dpo' | 'staff' | 'auditor', string>;
  const auth = (role: keyof typeof tokens) => bearer(tokens[role]);

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: POLICY, smtpUrl: smtp.url });
    rt.clock.set('2026-02-01T10:00:00Z');
    for (const [name, email] of [
      ['Mary Somerville', 'mary@example.org'],
      ['Rosalind Franklin', 'rosalind@example.org'],
    ]) {
      await aPerson(rt, {
        records: [
          { category: 'name', value: name!, source: 'webshop' },
          { category: 'email-address', value: email!, source: 'webshop' },
        ],
      });
    }
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 256 * 1024 }, logger: false });
    // API tokens without expiry: the tests move the clock by weeks, past any session.
    tokens = await apiTokensAs(app, rt, ['dpo', 'staff', 'auditor'], { owner: await signInOwner(app, rt) });
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  it('walks a Friday-evening breach through the API, from the report to the letters', async () => {
    rt.clock.set('2026-03-06T19:40:00Z');
    const opened = await app.inject({
      method: 'POST',
      url: '/api/v1/breaches',
      headers: auth('staff'),
      payload: {
        title: 'Order confirmations sent to the wrong customers',
        awareAt: '2026-03-06 19:30',
        occurredAt: '2026-03-06T18:00:00Z',
        description: 'A template fault put other customers’ names and email addresses in confirmations.',
        natures: ['confidentiality'],
        categories: ['name', 'email-address'],
      },
    });
    expect(opened.statusCode).toBe(201);
    const b = opened.json();
    expect(b.clock).toMatchObject({ deadline: '2026-03-09T19:30:00.000Z', deadlineUk: 'Mon 9 Mar 2026, 19:30 GMT', windowHours: 72, hoursRemaining: 71, state: 'within-time' });
    expect(b.history).toHaveLength(1);

    expect((await app.inject({ url: `/api/v1/breaches/${b.id}`, headers: auth('staff') })).statusCode).toBe(403);
    const list = await app.inject({ url: '/api/v1/breaches', headers: auth('auditor') });
    expect(list.json().breaches.map((x: { reference: string }) => x.reference)).toEqual([b.reference]);

    const post = (suffix: string, payload: unknown, role: keyof typeof tokens = 'dpo') => app.inject({ method: 'POST', url: `/api/v1/breaches/${b.id}${suffix}`, headers: auth(role), payload: payload as InjectOptions['payload'] });
    expect((await post('/affected', { relationships: ['customer'] })).json()).toMatchObject({ matched: 2, added: 2, totals: { people: 2, records: 4 } });
    expect((await post('/assessment', { level: 'high', reasons: 'Names and emails disclosed to other customers.' })).statusCode).toBe(200);
    expect((await post('/decisions', { about: 'ico', decision: 'notify', reason: 'Risk to people.' })).statusCode).toBe(200);
    expect((await post('/decisions', { about: 'people', decision: 'notify', reason: 'High risk.' })).statusCode).toBe(200);
    const facts = await post('/facts', { consequences: 'Unwanted contact.', measuresTaken: 'Template fixed.', measuresProposed: 'A second check before each send.', expectedVersion: 5 });
    expect(facts.statusCode).toBe(200);
    expect(facts.json().version).toBe(6);
    expect((await post('/facts', { consequences: 'Stale.', expectedVersion: 5 })).json().error.code).toBe('CONFLICT');

    const affected = await app.inject({ url: `/api/v1/breaches/${b.id}/affected`, headers: auth('auditor') });
    expect(affected.json()).toMatchObject({ counts: { people: 2, records: 4 }, withheld: null });
    expect(affected.json().people).toHaveLength(2);

    const json = await app.inject({ url: `/api/v1/breaches/${b.id}/report?format=json`, headers: auth('auditor') });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({
      kind: 'ico-breach-report',
      phase: 'initial',
      contactPoint: { name: 'Priya Shah', email: 'dpo@kite.example' },
      timeline: { awareAt: { uk: 'Fri 6 Mar 2026, 19:30 GMT' }, deadline: { uk: 'Mon 9 Mar 2026, 19:30 GMT' } },
      nature: { approximatePeople: 2, approximateRecords: 4 },
      likelyConsequences: 'Unwanted contact.',
      missing: [],
    });
    const html = await app.inject({ url: `/api/v1/breaches/${b.id}/report?format=html`, headers: auth('dpo') });
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('Personal data breach report');
    // The label says what the row is once; the contact's own kind (here a DPO) follows it.
    expect(html.body).not.toContain('(contact point)');
    expect(html.body).toContain('<th scope="row">Contact point</th><td>Data Protection Officer<br>Priya Shah');

    rt.clock.set('2026-03-07T09:00:00Z');
    const ico = await post('/ico-reports', { phase: 'initial', icoReference: 'IC-1' });
    expect(ico.json().clock.state).toBe('reported');

    // A dry run first: the count and the letter, and nothing sent.
    const preview = await post('/notify/preview', undefined);
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ reference: b.reference, recipients: 2, withoutEmail: 0, alreadyTold: 0 });
    const letter: string = preview.json().letter.text;
    // What was done and what is only planned each under their own heading (Art 34(2)).
    expect(letter).toMatch(/What we have done\n-+\nTemplate fixed\.\n/);
    expect(letter).toMatch(/What we are going to do\n-+\nA second check before each send\.\n/);
    expect(letter.indexOf('A second check')).toBeGreaterThan(letter.indexOf('What we are going to do'));
    expect(smtp.messages).toHaveLength(0);
    expect((await post('/notify/preview', undefined, 'staff')).statusCode).toBe(403);
    // Sending with a count that no longer holds is refused, and sends nothing.
    const stale = await post('/notify', { expectedRecipients: 5 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.message).toContain('preview again');
    expect(smtp.messages).toHaveLength(0);

    const notified = await post('/notify', { expectedRecipients: 2 });
    expect(notified.json()).toMatchObject({ attempted: 2, sent: 2, failed: 0 });
    await smtp.waitFor(2);
    expect((await post('/notify/preview', undefined)).json()).toMatchObject({ recipients: 0, alreadyTold: 2 });
    expect(smtp.messages.flatMap((m) => m.envelopeTo).sort()).toEqual(['mary@example.org', 'rosalind@example.org']);

    const csv = await app.inject({ url: '/api/v1/breaches/export', headers: auth('auditor') });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[1]).toContain(b.reference);

    const full = await app.inject({ url: `/api/v1/breaches/${b.id}?history=true`, headers: auth('dpo') });
    expect(full.json().history.map((h: { type: string }) => h.type)).toEqual(['opened', 'affected-selected', 'risk-assessed', 'decision', 'decision', 'facts-updated', 'ico-reported', 'people-notified']);
    expect(full.json().notifications).toEqual({ email: { sent: 2, failed: 0, noAddress: 0 }, post: { exported: 0 }, notYetTold: 0 });
    expect(full.json().reminders).toEqual([]);

    const doc = (await app.inject('/api/v1/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/breaches', '/api/v1/breaches/{id}', '/api/v1/breaches/{id}/report', '/api/v1/breaches/{id}/affected', '/api/v1/breaches/{id}/notify/preview']));
  });

  it('answers bad input with a clear error and a stable code, never a 500', async () => {
    rt.clock.set('2026-03-08T12:00:00Z');
    const made = await app.inject({ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00' } });
    const id = made.json().id as string;
    const unknown = '0190a4c2-0000-7000-8000-000000000000';
    const json = { ...auth('dpo'), 'content-type': 'application/json' };
    const cases: Array<[InjectOptions, number, string]> = [
      [{ url: '/api/v1/breaches' }, 401, 'UNAUTHENTICATED'],
      [{ url: '/api/v1/breaches/not-a-uuid', headers: auth('dpo') }, 400, 'VALIDATION_FAILED'],
      [{ url: `/api/v1/breaches/${unknown}`, headers: auth('dpo') }, 404, 'NOT_FOUND'],
      [{ url: `/api/v1/breaches/${unknown}/report`, headers: auth('dpo') }, 404, 'NOT_FOUND'],
      [{ url: `/api/v1/breaches/${id}/report?format=pdf`, headers: auth('dpo') }, 400, 'VALIDATION_FAILED'],
      [{ url: `/api/v1/breaches/${id}?asOf=yesterday`, headers: auth('dpo') }, 400, 'VALIDATION_FAILED'],
      [{ url: '/api/v1/breaches?limit=100000', headers: auth('dpo') }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: json, payload: '{"title": ' }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 42, awareAt: '2026-03-08 11:00' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: 'next Tuesday' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-09 11:00' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', isAdmin: true } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', categories: ['<script>'] } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', description: 'y'.repeat(300_000) } }, 413, 'PAYLOAD_TOO_LARGE'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', description: 'y'.repeat(25_000) } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', description: 'card 4111-1111-1111-1111' } }, 422, 'FORBIDDEN_DATA'],
      [{ method: 'POST', url: '/api/v1/breaches', headers: auth('auditor'), payload: { title: 'x', awareAt: '2026-03-08 11:00' } }, 403, 'FORBIDDEN'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/assessment`, headers: auth('dpo'), payload: { level: 'catastrophic', reasons: 'x' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/assessment`, headers: auth('staff'), payload: { level: 'high', reasons: 'x' } }, 403, 'FORBIDDEN'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/decisions`, headers: auth('dpo'), payload: { about: 'ico', decision: 'not-notify', reason: 'x' } }, 409, 'CONFLICT'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/ico-reports`, headers: auth('dpo'), payload: { phase: 'update' } }, 409, 'CONFLICT'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/notify`, headers: auth('dpo') }, 409, 'CONFLICT'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/affected`, headers: auth('dpo'), payload: {} }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/affected`, headers: auth('dpo'), payload: { identifiers: { emails: 'a@b.c' } } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/facts`, headers: auth('dpo'), payload: {} }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: `/api/v1/breaches/${id}/facts`, headers: auth('dpo'), payload: { awareAt: '2026-03-08 10:00' } }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [req, status, code] of cases) {
      const res = await app.inject(req);
      expect({ method: req.method ?? 'GET', url: req.url, status: res.statusCode, code: res.json().error?.code }).toEqual({ method: req.method ?? 'GET', url: req.url, status, code });
    }
    const leak = await app.inject({ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: 'x', awareAt: '2026-03-08 11:00', description: 'card 4111-1111-1111-1111' } });
    expect(leak.body).not.toContain('4111');
    // A hostile title comes back as data, and is escaped in the HTML report.
    const hostile = await app.inject({ method: 'POST', url: '/api/v1/breaches', headers: auth('dpo'), payload: { title: '<img src=x onerror=alert(1)>', awareAt: '2026-03-08 11:00' } });
    const report = await app.inject({ url: `/api/v1/breaches/${hostile.json().id}/report?format=html`, headers: auth('dpo') });
    expect(report.body).not.toContain('<img');
    expect(report.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});
