/**
 * What each audience-check reason means, in plain words. The API sends these beside each code,
 * the console shows them, and docs/marketing-reasons.md lists the same sentences (a test keeps
 * them equal), so no one is left with a bare code like "no-consent".
 */
import type { Reason } from './audience.rules.js';

export const REASON_TEXT: Record<Reason, string> = {
  consent: 'Allowed: the person gave consent for this purpose on this channel, and it is still in force.',
  'soft-opt-in':
    'Allowed: the soft opt-in (PECR reg 22). We got their details when they bought or asked about something from us, this is marketing of our own similar products, and they were offered a free way to refuse then and in every message.',
  'corporate-legitimate-interest':
    'Allowed: a corporate subscriber (a company, LLP or public body), whom we may email or text on legitimate interests. Every message must say who we are and offer an opt-out.',
  'legitimate-interest': 'Allowed: the purpose rests on legitimate interests, the person is in one of its relationships, and nothing stops this channel.',
  'invalid-identifier': 'Blocked: this is not a valid email address or phone number, so it cannot be checked.',
  'wrong-identifier-kind': 'Blocked: the identifier does not fit the channel (for example a phone number in an email campaign).',
  suppressed: 'Blocked: on the suppression list. They opted out or objected to direct marketing; never contact them, not even to ask them to opt back in.',
  'unknown-person': 'Blocked: nobody in the register has this address or number, so there is no consent or relationship to rely on.',
  restricted: 'Blocked: the person asked us to restrict the use of their data (Art 18); it may only be stored.',
  withdrawn: 'Blocked: the person withdrew their consent for this purpose on this channel.',
  lapsed: 'Blocked: their consent has expired. Ask them to renew it before marketing to them again.',
  'child-without-parental-consent': 'Blocked: the person is under the age of digital consent and no parent or guardian has consented for them.',
  'no-consent': 'Blocked: this purpose needs consent and the person has not given it for this channel.',
  'relationship-not-covered': 'Blocked: the purpose rests on legitimate interests, but the person is not in any of the relationships the declaration says it covers.',
  'tps-registered': 'Blocked: the number is on the Telephone Preference Service (TPS) register, and the person has not consented to our calls.',
  'ctps-registered': 'Blocked: the number is on the Corporate Telephone Preference Service (CTPS) register, and the business has not consented to our calls.',
  'tps-stale': 'Blocked: our copy of the TPS or CTPS register is more than 28 days old. Import a fresh one before calling.',
  'no-lawful-basis':
    'Blocked: the declaration gives this purpose no lawful basis for direct marketing (it must rest on consent or on legitimate interests), so no one may be sent it until the declaration says which.',
};

export const explain = (reason: Reason): string => REASON_TEXT[reason];
