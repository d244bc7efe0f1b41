/**
 * The audience check's rules: what one holder of an address may be sent, from their profile
 * (consent state, restriction, subscriber type) and the purpose and channel. Pure: no database,
 * no hashing; audience.service.ts works the profiles out and matches the recipients.
 *
 * In order (PECR regs 21–22, UK GDPR Arts 6, 7, 8, 18, 21), after the identifier is checked
 * (invalid → blocked), the suppression list (→ blocked, even when erased) and the register
 * (nobody has it → blocked: unknown person):
 *  4. processing restricted (Art 18)                               → blocked
 *  5. valid consent for the purpose and channel                    → allowed (consent also
 *     overrides TPS registration for calls)
 *  6. consent withdrawn                                            → blocked
 *  7. purpose rests on consent                                     → blocked: lapsed, child
 *     without parental consent, or no consent
 *  5a. the purpose rests on neither consent nor legitimate interests → blocked: no lawful basis
 *  8. otherwise (legitimate interests): the person must be in one of the purpose's relationships;
 *     email/SMS to an individual subscriber needs the soft opt-in; to a corporate subscriber it
 *     may rest on legitimate interests; calls need a fresh TPS (individuals) or CTPS (corporates)
 *     register without the number; post and social rest on legitimate interests.
 */
import type { Purpose } from '../policy/policy.schema.js';
import type { ProfileCodes } from '../register/identifier-scans.js';
import type { ConsentStatus } from './consent.rules.js';
import type { MarketingChannel } from './suppression.service.js';
import type { TpsRegister } from './tps.service.js';

export const ALLOW_REASONS = ['consent', 'soft-opt-in', 'corporate-legitimate-interest', 'legitimate-interest'] as const;
export const BLOCK_REASONS = [
  'invalid-identifier',
  'wrong-identifier-kind',
  'suppressed',
  'unknown-person',
  'restricted',
  'withdrawn',
  'lapsed',
  'child-without-parental-consent',
  'no-consent',
  'relationship-not-covered',
  'tps-registered',
  'ctps-registered',
  'tps-stale',
  'no-lawful-basis',
] as const;
export type AllowReason = (typeof ALLOW_REASONS)[number];
export type BlockReason = (typeof BLOCK_REASONS)[number];
export type Reason = AllowReason | BlockReason;

/** Reasons by code: codes below ALLOW_REASONS.length are allowed. */
export const REASONS: readonly Reason[] = [...ALLOW_REASONS, ...BLOCK_REASONS];
const ALLOW_COUNT = ALLOW_REASONS.length;
/** A reason's code. */
export const C = Object.fromEntries(REASONS.map((r, i) => [r, i])) as Record<Reason, number>;

export const isAllowed = (c: number): boolean => c < ALLOW_COUNT;
export const reasonOf = (c: number): Reason => REASONS[c]!;

/**
 * A holder's profile as one number below 128: the consent state for the purpose and channel (low
 * 3 bits), the soft opt-in, restriction, and the subscriber type in the purpose's relationships
 * times typeShift (0: in none of them). The database works out the same number on the big-list
 * path (src/register/identifier-scans.ts).
 */
export const P = { active: 0, lapsed: 1, withdrawn: 2, none: 3, child: 4, soft: 8, restricted: 16, individual: 1, corporate: 2, typeShift: 32 } as const satisfies ProfileCodes;
const STATUS_OF: ConsentStatus[] = ['active', 'lapsed', 'withdrawn', 'none', 'child-without-parental-consent'];

/** A profile from its parts (for tests and readers; the matching builds the number directly). */
export function profile(p: { status?: Exclude<ConsentStatus, 'none'> | 'none'; softOptIn?: boolean; restricted?: boolean; subscriber?: 'individual' | 'corporate' }): number {
  const status = p.status === 'child-without-parental-consent' ? P.child : P[p.status ?? 'none'];
  return status | (p.softOptIn ? P.soft : 0) | (p.restricted ? P.restricted : 0) | (p.subscriber ? P[p.subscriber] * P.typeShift : 0);
}

/** What the rules need to know about the campaign, besides each holder's profile. */
export interface Campaign {
  channel: MarketingChannel;
  /** The purpose rests on consent. */
  onConsent: boolean;
  /** The purpose rests on neither consent nor legitimate interests. */
  noBasis: boolean;
  /** The purpose claims the soft opt-in, and the channel is one it covers. */
  softOptIn: boolean;
  /** For calls on legitimate interests: whether each register is stale. */
  tps?: Record<TpsRegister, { stale: boolean }> | undefined;
}

/** The campaign's facts from the declaration's purpose. */
export function campaignFor(purpose: Purpose, channel: MarketingChannel, tps?: Campaign['tps']): Campaign {
  const onConsent = purpose.lawful_basis === 'consent';
  return {
    channel,
    onConsent,
    // Direct marketing rests on consent or on legitimate interests (Art 6(1)(a), (f) and 6(9)). A
    // purpose declared with neither allows no one: never a default of legitimate interests.
    noBasis: !onConsent && purpose.lawful_basis !== 'legitimate-interests',
    softOptIn: !!purpose.soft_opt_in && (channel === 'email' || channel === 'sms'),
    tps,
  };
}

const notYet = (status: ConsentStatus): Reason => (status === 'lapsed' ? 'lapsed' : status === 'child-without-parental-consent' ? 'child-without-parental-consent' : 'no-consent');

/** The answer for one holder of an address. `onTps` says whether the number is on a register (calls only). */
export function decide(campaign: Campaign, profileCode: number, onTps: (register: TpsRegister) => boolean = () => false): Reason {
  const { channel } = campaign;
  if (campaign.noBasis) return 'no-lawful-basis';
  if ((profileCode & P.restricted) !== 0) return 'restricted';
  const st = profileCode & 15;
  const status = STATUS_OF[st & 7]!;
  const soft = (st & P.soft) !== 0;
  if (status === 'active') return 'consent';
  if (status === 'withdrawn' && !soft) return 'withdrawn';
  if (campaign.onConsent) return status === 'withdrawn' ? 'withdrawn' : notYet(status);
  const subscriber = Math.floor(profileCode / P.typeShift);
  const type = subscriber === P.corporate ? 'corporate' : subscriber === P.individual ? 'individual' : undefined;
  if (!type) return 'relationship-not-covered';
  if (channel === 'email' || channel === 'sms') {
    if (type === 'corporate') return 'corporate-legitimate-interest';
    if (campaign.softOptIn && soft) return 'soft-opt-in';
    if (status === 'withdrawn') return 'withdrawn';
    return notYet(status);
  }
  if (status === 'withdrawn') return 'withdrawn';
  if (channel === 'phone') {
    const register: TpsRegister = type === 'corporate' ? 'ctps' : 'tps';
    if (campaign.tps![register].stale) return 'tps-stale';
    if (onTps(register)) return register === 'tps' ? 'tps-registered' : 'ctps-registered';
  }
  return type === 'corporate' ? 'corporate-legitimate-interest' : 'legitimate-interest';
}

/**
 * Duplicates in the register (two subjects with one address): a do-not-contact answer from any
 * of them wins, then an allowed one, then the weaker "not yet" reasons.
 */
const RANK: Record<Reason, number> = {
  suppressed: 0,
  restricted: 0,
  withdrawn: 0,
  'child-without-parental-consent': 1,
  'tps-registered': 1,
  'ctps-registered': 1,
  'tps-stale': 1,
  'no-lawful-basis': 1,
  consent: 2,
  'soft-opt-in': 2,
  'corporate-legitimate-interest': 2,
  'legitimate-interest': 2,
  lapsed: 3,
  'no-consent': 3,
  'relationship-not-covered': 4,
  'unknown-person': 5,
  'invalid-identifier': 6,
  'wrong-identifier-kind': 6,
};
const RANK_OF = REASONS.map((r) => RANK[r]);

/** Of two holders' answers (codes) for one address, the one that counts. */
export const stronger = (a: number, b: number): number => (RANK_OF[b]! < RANK_OF[a]! ? b : a);
