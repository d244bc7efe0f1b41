/**
 * The audience check's rules on their own, without a database: one holder's profile, the purpose
 * and the channel in; the reason out (PECR regs 21–22, UK GDPR Arts 6, 7, 8, 18, 21).
 */
import { describe, expect, it } from 'vitest';
import type { Purpose } from '../policy/policy.schema.js';
import { C, campaignFor, decide, isAllowed, profile, REASONS, stronger, type Campaign } from './audience.rules.js';

const purpose = (p: Partial<Purpose>): Purpose => ({ id: 'news', name: 'News', direct_marketing: true, relationships: ['customer'], ...p }) as Purpose;
const onConsent = campaignFor(purpose({ lawful_basis: 'consent' }), 'email');
const onLi = (channel: Campaign['channel'], extra: Partial<Purpose> = {}, tps?: Campaign['tps']) => campaignFor(purpose({ lawful_basis: 'legitimate-interests', ...extra }), channel, tps);
const fresh = { tps: { stale: false }, ctps: { stale: false } };

describe('the audience rules', () => {
  it('allow on consent in force, and nothing else when the purpose rests on consent', () => {
    expect(decide(onConsent, profile({ status: 'active' }))).toBe('consent');
    expect(decide(onConsent, profile({ status: 'lapsed' }))).toBe('lapsed');
    expect(decide(onConsent, profile({ status: 'withdrawn' }))).toBe('withdrawn');
    expect(decide(onConsent, profile({ status: 'child-without-parental-consent' }))).toBe('child-without-parental-consent');
    expect(decide(onConsent, profile({}))).toBe('no-consent');
    // The soft opt-in is for legitimate interests only; a corporate subscriber changes nothing here.
    expect(decide(onConsent, profile({ softOptIn: true, subscriber: 'corporate' }))).toBe('no-consent');
    // A soft opt-in beside a withdrawn consent: still withdrawn.
    expect(decide(onConsent, profile({ status: 'withdrawn', softOptIn: true }))).toBe('withdrawn');
  });

  it('block a restricted person whatever else is true, and everyone when the purpose has no basis', () => {
    expect(decide(onConsent, profile({ status: 'active', restricted: true }))).toBe('restricted');
    expect(decide(onLi('post'), profile({ subscriber: 'corporate', restricted: true }))).toBe('restricted');
    const noBasis = campaignFor(purpose({ lawful_basis: 'contract' }), 'email');
    expect(noBasis.noBasis).toBe(true);
    expect(decide(noBasis, profile({ status: 'active' }))).toBe('no-lawful-basis');
    expect(decide(campaignFor(purpose({}), 'post'), profile({ subscriber: 'individual' }))).toBe('no-lawful-basis');
  });

  it('on legitimate interests: email and SMS to individuals need the soft opt-in; corporates may be sent it', () => {
    expect(decide(onLi('email'), profile({}))).toBe('relationship-not-covered');
    expect(decide(onLi('email'), profile({ subscriber: 'corporate' }))).toBe('corporate-legitimate-interest');
    expect(decide(onLi('email'), profile({ subscriber: 'individual' }))).toBe('no-consent');
    expect(decide(onLi('email'), profile({ subscriber: 'individual', softOptIn: true }))).toBe('no-consent');
    expect(decide(onLi('email', { soft_opt_in: true } as Partial<Purpose>), profile({ subscriber: 'individual', softOptIn: true }))).toBe('soft-opt-in');
    expect(decide(onLi('sms', { soft_opt_in: true } as Partial<Purpose>), profile({ subscriber: 'individual', softOptIn: true, status: 'withdrawn' }))).toBe('soft-opt-in');
    expect(decide(onLi('email'), profile({ subscriber: 'individual', status: 'lapsed' }))).toBe('lapsed');
    expect(decide(onLi('email'), profile({ subscriber: 'individual', status: 'active' }))).toBe('consent');
    expect(decide(onLi('email'), profile({ subscriber: 'corporate', status: 'withdrawn' }))).toBe('withdrawn');
  });

  it('on legitimate interests: post and social need the relationship only; calls a fresh TPS or CTPS without the number', () => {
    expect(decide(onLi('post'), profile({ subscriber: 'individual' }))).toBe('legitimate-interest');
    expect(decide(onLi('social'), profile({ subscriber: 'corporate' }))).toBe('corporate-legitimate-interest');
    expect(decide(onLi('post'), profile({ subscriber: 'individual', status: 'withdrawn', softOptIn: true }))).toBe('withdrawn');
    expect(decide(onLi('phone', {}, fresh), profile({ subscriber: 'individual' }))).toBe('legitimate-interest');
    expect(decide(onLi('phone', {}, fresh), profile({ subscriber: 'individual' }), (r) => r === 'tps')).toBe('tps-registered');
    expect(decide(onLi('phone', {}, fresh), profile({ subscriber: 'corporate' }), (r) => r === 'tps')).toBe('corporate-legitimate-interest');
    expect(decide(onLi('phone', {}, fresh), profile({ subscriber: 'corporate' }), (r) => r === 'ctps')).toBe('ctps-registered');
    expect(decide(onLi('phone', {}, { tps: { stale: true }, ctps: { stale: false } }), profile({ subscriber: 'individual' }))).toBe('tps-stale');
    expect(decide(onLi('phone', {}, { tps: { stale: true }, ctps: { stale: false } }), profile({ subscriber: 'corporate' }))).toBe('corporate-legitimate-interest');
    // Consent overrides the TPS for calls.
    expect(decide(onLi('phone', {}, fresh), profile({ subscriber: 'individual', status: 'active' }), () => true)).toBe('consent');
  });

  it('of several holders of one address: do-not-contact first, then allowed, then the "not yet" answers', () => {
    expect(REASONS.filter((_, i) => isAllowed(i))).toEqual(['consent', 'soft-opt-in', 'corporate-legitimate-interest', 'legitimate-interest']);
    expect(REASONS[stronger(C.consent, C.withdrawn)]).toBe('withdrawn');
    expect(REASONS[stronger(C.restricted, C.consent)]).toBe('restricted');
    expect(REASONS[stronger(C['no-consent'], C['legitimate-interest'])]).toBe('legitimate-interest');
    expect(REASONS[stronger(C['relationship-not-covered'], C.lapsed)]).toBe('lapsed');
    // Equal rank: the first answer found stays.
    expect(REASONS[stronger(C.consent, C['soft-opt-in'])]).toBe('consent');
  });
});
