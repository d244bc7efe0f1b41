/**
 * The rules consent is recorded by, apart from the records: the actions and the methods each
 * allows (a consent needs a clear positive action), the declaration's consent rules, which
 * purposes consent is recorded for, and what a stored state means now.
 */
import type { Purpose } from '../policy/policy.schema.js';
import { policyIndex } from '../policy/policy.index.js';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import type { ConsentAction, ConsentStateTable } from './consent.tables.js';
import { parsePeriod, type Period } from './period.js';
import { isMarketingChannel, MARKETING_CHANNELS } from './suppression.service.js';

export const CONSENT_ACTIONS = ['given', 'renewed', 'withdrawn', 'parental-consent', 'soft-opt-in'] as const;

/** How something was done. A consent needs a clear positive action: there is no "pre-ticked". */
export const METHODS = [
  'form',
  'ticked-box',
  'verbal-call',
  'email',
  'web',
  'web-form',
  'post',
  'phone',
  'in-person',
  'unsubscribe-link',
  'preference-page',
  'renewal-link',
  'import',
  'sale',
  'negotiation',
] as const;
export type Method = (typeof METHODS)[number];

const METHODS_FOR: Record<ConsentAction, readonly Method[]> = {
  given: ['form', 'ticked-box', 'verbal-call', 'email', 'web', 'web-form', 'post', 'phone', 'in-person', 'preference-page', 'renewal-link', 'import'],
  renewed: ['form', 'ticked-box', 'verbal-call', 'email', 'web', 'web-form', 'post', 'phone', 'in-person', 'preference-page', 'renewal-link', 'import'],
  withdrawn: ['form', 'verbal-call', 'email', 'web', 'web-form', 'post', 'phone', 'in-person', 'unsubscribe-link', 'preference-page', 'import'],
  'parental-consent': ['form', 'ticked-box', 'verbal-call', 'email', 'web', 'web-form', 'post', 'phone', 'in-person'],
  // PECR reg 22(3)(a): the details were obtained "in the course of the sale or negotiations for the sale".
  'soft-opt-in': ['sale', 'negotiation'],
};

export const LIMITS = { wordingChars: 4000, evidenceChars: 2000, channelsPerCall: 5 };

export interface ConsentRules {
  validity: Period | undefined;
  validityText: string | undefined;
  renewalNotice: Period;
  renewalNoticeText: string;
  ageOfDigitalConsent: number;
}

/** The declaration's consent rules. Without renewal_notice, renewal requests go a month before lapse. */
export function consentRules(ctx: Pick<AppContext, 'policy'>): ConsentRules {
  const c = ctx.policy.policy.rights.consent;
  const renewalNoticeText = c.renewal_notice ?? '1 month';
  return {
    validity: c.validity ? parsePeriod(c.validity) : undefined,
    validityText: c.validity,
    renewalNotice: parsePeriod(renewalNoticeText) ?? { years: 0, months: 1, days: 0 },
    renewalNoticeText,
    ageOfDigitalConsent: ctx.policy.policy.rights.age_of_digital_consent,
  };
}

export const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** A purpose consent can be recorded for: consent is its basis, or it is direct marketing (PECR consent for a channel). */
export function marketingPurpose(ctx: Pick<AppContext, 'policy'>, purposeId: string, channels: readonly string[], path = 'purpose'): Purpose {
  const p = policyIndex(ctx.policy as AppContext['policy']).purposes.get(purposeId);
  if (!p) throw invalid(path, `"${purposeId}" is not a purpose in the declaration`);
  if (p.lawful_basis !== 'consent' && !p.direct_marketing) {
    throw invalid(path, `"${purposeId}" rests on ${p.lawful_basis ?? 'no stated basis'} and is not direct marketing: consent is not recorded for it`);
  }
  for (const [i, ch] of channels.entries()) {
    if (!isMarketingChannel(ch)) throw invalid(`channels[${i}]`, `must be one of ${MARKETING_CHANNELS.join(', ')}`);
    if (p.channels && !(p.channels as readonly string[]).includes(ch)) {
      throw invalid(`channels[${i}]`, `the declaration says "${purposeId}" uses ${p.channels.join(', ')}, not ${ch}`);
    }
  }
  return p;
}

export type ConsentStatus = 'active' | 'lapsed' | 'withdrawn' | 'none' | 'child-without-parental-consent';

/** What a stored state means now: lapsed once past its expiry, and a child's consent needs a parent's. */
export function statusOf(s: Pick<ConsentStateTable, 'status' | 'expires_at' | 'child' | 'parental'>, nowIso: string): ConsentStatus {
  if (s.status === 'withdrawn') return 'withdrawn';
  if (s.status !== 'active') return 'none';
  if (s.expires_at !== null && s.expires_at <= nowIso) return 'lapsed';
  if (s.child === 1 && s.parental !== 1) return 'child-without-parental-consent';
  return 'active';
}

export function checkMethod(action: ConsentAction, method: string, path: string): Method {
  const allowed = METHODS_FOR[action];
  if (!(allowed as readonly string[]).includes(method)) {
    if (method === 'pre-ticked' || method === 'pre-ticked-box') throw invalid(path, 'a pre-ticked box is not consent: it needs a clear positive action (UK GDPR Art 4(11), recital 32)');
    throw invalid(path, `for "${action}" use one of ${allowed.join(', ')}`);
  }
  return method as Method;
}
