import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordConsent } from '../consent/consent.service.js';
import { createSubject } from '../register/register.service.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { consentConditions } from '../consent/consent.conditions.js';
import { eventConditions } from './conditions.js';

const staff = actorWith('staff');
const SMART = path.resolve(import.meta.dirname, '../../examples/smart-computers.yaml');

describe.each(dialects)('retention conditions on %s', (kind) => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime(kind, { policyFile: SMART });
  });
  afterEach(async () => rt.close());

  it('counts a consent in the consent register as "opted in to marketing" until it is withdrawn', async () => {
    const s = await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'contact-details', value: 'office@smart-customer.example' }] });
    const other = await createSubject(rt, staff, { relationships: [{ relationship: 'customer' }], records: [{ category: 'contact-details', value: 'other@smart-customer.example' }] });
    await recordConsent(rt, staff, { subjectId: s.id, purpose: 'marketing', channels: ['email'], action: 'given', method: 'ticked-box', wording: 'Tick here for news and offers by email' });
    const ids = [s.id, other.id];
    expect([...(await consentConditions.subjectsWithMarketingConsent(rt.database.db, ids, rt.clock.now()))]).toEqual([s.id]);
    // Retention's own conditions know only life events: the consent feature adds its register.
    expect([...(await eventConditions.subjectsWithMarketingConsent(rt.database.db, ids, rt.clock.now()))]).toEqual([]);
    rt.clock.advance(24 * 3600_000);
    await recordConsent(rt, staff, { subjectId: s.id, purpose: 'marketing', channels: ['email'], action: 'withdrawn', method: 'email' });
    expect([...(await consentConditions.subjectsWithMarketingConsent(rt.database.db, ids, rt.clock.now()))]).toEqual([]);
  });
});
