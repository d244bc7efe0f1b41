/**
 * The seeds' marketing promises, as declared in examples/*.yaml, each shown working end to end.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubject, eraseSubject } from '../register/register.service.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';
import { reasonOf } from './audience.rules.js';
import { checkAudience } from './audience.service.js';
import { getConsent, recordConsent } from './consent.service.js';
import { marketingHeaders } from './links.js';
import { sendRenewalRequests } from './renewal.service.js';

const example = (name: string) => path.resolve(import.meta.dirname, '../../examples', `${name}.yaml`);
const staff = actorWith('staff');
const dpo = actorWith('dpo');

describe.each(dialects)('the seeds\' marketing promises on %s', (kind) => {
  // One throwaway database at a time: Kysely's migrator looks for its lock table in every schema.
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => {
    await smtp?.close();
  });
  const open = (name: string, smtpUrl?: string) => createTestRuntime(kind, { policyFile: example(name), ...(smtpUrl ? { smtpUrl } : {}) });
  const using = async (name: string, fn: (rt: TestRuntime) => Promise<void>, smtpUrl?: string) => {
    const rt = await open(name, smtpUrl);
    try {
      await fn(rt);
    } finally {
      await rt.close();
    }
  };
  const reasons = async (rt: TestRuntime, purpose: string, channel: string, recipients: string[]) => [...(await checkAudience(rt, staff, { purpose, channel, recipients })).codes].map(reasonOf);

  it('Smart Computers: consent lasts 3 years; a renewal email arrives before it lapses; lapsed consent no longer counts', () =>
    using('smart-computers', async (rt) => {
      const s = await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'contact-details', value: 'office@smart-customer.example' }] });
      await recordConsent(rt, staff, { subjectId: s.id, purpose: 'marketing', channels: ['email'], action: 'given', method: 'ticked-box', wording: 'Tick here if you are happy to receive news and offers by email' });
      expect(await reasons(rt, 'marketing', 'email', ['office@smart-customer.example'])).toEqual(['consent']);

      // Two weeks before the 3 years are up (the declaration gives no notice period: a month is used).
      rt.clock.set('2029-02-16T10:00:00Z');
      const before = smtp.messages.length;
      expect(await sendRenewalRequests(rt)).toMatchObject({ sent: 1, failed: 0 });
      await smtp.waitFor(before + 1);
      const mail = smtp.messages[before]!;
      expect(mail.envelopeTo).toEqual(['office@smart-customer.example']);
      expect(mail.subject).toBe('Please renew your consent: News and offers');
      expect(mail.text).toContain('lapses on 2 March 2029');
      expect(await sendRenewalRequests(rt)).toMatchObject({ sent: 0 });

      // Not renewed: after the 3 years, the person is blocked.
      rt.clock.set('2029-03-02T10:00:01Z');
      expect(await reasons(rt, 'marketing', 'email', ['office@smart-customer.example'])).toEqual(['lapsed']);
    }, smtp.url));

  it('Kynex: a sole trader without consent is blocked, while a limited company contact under legitimate interests is allowed', () =>
    using('kynex', async (rt) => {
      await createSubject(rt, staff, { relationships: [{ relationship: 'sole-trader-prospect' }], records: [{ category: 'email-address', value: 'jo@jos-plumbing.example' }] });
      await createSubject(rt, staff, { relationships: [{ relationship: 'business-prospect' }], records: [{ category: 'email-address', value: 'buyer@acme-ltd.example' }] });
      expect(await reasons(rt, 'sole-trader-marketing', 'email', ['jo@jos-plumbing.example'])).toEqual(['no-consent']);
      expect(await reasons(rt, 'b2b-marketing', 'email', ['buyer@acme-ltd.example', 'jo@jos-plumbing.example'])).toEqual(['corporate-legitimate-interest', 'relationship-not-covered']);
    }));

  it('Kynex: under-16s need parental consent for the newsletter', () =>
    using('kynex', async (rt) => {
      const child = await createSubject(rt, staff, { relationships: [{ relationship: 'newsletter-subscriber' }] });
      await recordConsent(rt, staff, { subjectId: child.id, purpose: 'newsletter', channels: ['email'], action: 'given', method: 'web', wording: 'Sign me up to the newsletter', birthDate: '2011-06-01' });
      expect((await getConsent(rt, dpo, child.id)).states[0]).toMatchObject({ status: 'child-without-parental-consent', child: true });
      await recordConsent(rt, staff, { subjectId: child.id, purpose: 'newsletter', channels: ['email'], action: 'parental-consent', method: 'email', evidenceRef: 'reply from parent, ticket 88' });
      expect((await getConsent(rt, dpo, child.id)).states[0]).toMatchObject({ status: 'active', parentalConsent: true });
    }));

  describe('Kestronics', () => {
    let rt: TestRuntime;
    let app: FastifyInstance;
    beforeAll(async () => {
      rt = await open('kestronics');
      app = await buildApp({ ...rt, logger: false });
    });
    afterAll(async () => {
      await app?.close();
      await rt?.close();
    });
    const customer = (email: string) => createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'identity-and-contact', value: email }] });
    const give = (id: string) =>
      recordConsent(rt, staff, { subjectId: id, purpose: 'marketing', channels: ['email', 'phone'], action: 'given', method: 'verbal-call', wording: 'May we tell you about our other products by email and phone?' });

    it('withdraw by the unsubscribe link, and the next audience check blocks the person', async () => {
      const s = await customer('reader@example.co.uk');
      await give(s.id);
      expect(await reasons(rt, 'marketing', 'email', ['reader@example.co.uk'])).toEqual(['consent']);
      const url = new URL(/^<(.+)>$/.exec(marketingHeaders(rt, s.id, 'marketing')['List-Unsubscribe']!)![1]!);
      const res = await app.inject({ method: 'POST', url: url.pathname + url.search, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
      expect(res.statusCode).toBe(200);
      expect(await reasons(rt, 'marketing', 'email', ['reader@example.co.uk'])).toEqual(['suppressed']);
    });

    it('withdraw by phone, as the notice promises', async () => {
      const s = await customer('caller@example.co.uk');
      await give(s.id);
      await recordConsent(rt, staff, { subjectId: s.id, purpose: 'marketing', channels: ['email', 'phone'], action: 'withdrawn', method: 'phone' });
      expect(await reasons(rt, 'marketing', 'email', ['caller@example.co.uk'])).toEqual(['suppressed']);
    });

    it('an erased person stays suppressed', async () => {
      const s = await customer('forget.me@example.co.uk');
      await give(s.id);
      await eraseSubject(rt, dpo, s.id, 'erasure request');
      expect(await reasons(rt, 'marketing', 'email', ['forget.me@example.co.uk'])).toEqual(['suppressed']);
      // Re-imported from an old spreadsheet: still suppressed.
      await customer('forget.me@example.co.uk');
      expect(await reasons(rt, 'marketing', 'email', ['Forget.Me@example.co.uk'])).toEqual(['suppressed']);
    });
  });
});
