/**
 * Lint rules for consent (Art 7, Art 13(2)(c)) and electronic marketing under PECR (reg 22, the
 * soft opt-in of reg 22(3)): consent that can be withdrawn and renewed, the channels used, and
 * email or text marketing without consent that the soft opt-in cannot cover.
 */
import { type LintRule, list, q } from './lint.types.js';
import { purposeLabel, usesConsent } from './lint.purposes.js';
import type { Relationship } from './policy.schema.js';

/**
 * PECR reg 22(3)(a) needs details obtained "in the course of the sale or negotiations for the sale".
 * The declaration has no field for that, so it is read from the relationship's id and name:
 * customers, clients, buyers, purchasers, enquirers and prospects qualify; "non-customers" and
 * relationships where we act as a processor (the data is the client's) do not.
 */
const SALE_OR_NEGOTIATION = /customer|client|buyer|purchaser|enquir|inquir|prospect/i;
const NOT_A_SALE = /\bnon[\s-]?(customer|client|buyer|purchaser)/i;
export function inSaleOrNegotiation(r: Relationship | undefined): boolean {
  if (!r || r.role === 'processor') return false;
  return [r.id, r.name].some((t) => SALE_OR_NEGOTIATION.test(t) && !NOT_A_SALE.test(t));
}

export const MARKETING_RULES: readonly LintRule[] = [
  {
    id: 'consent-withdrawal-missing',
    severity: 'error',
    description: 'Consent is relied on but no way to withdraw it is declared (Art 7(3); Art 13(2)(c)).',
    fix: 'Add rights.consent.withdrawal_channels, e.g. [email, unsubscribe-link].',
    check: ({ policy }) => {
      if (policy.rights.consent.withdrawal_channels.length > 0) return [];
      const consent = policy.purposes.map((p, i) => ({ p, i })).filter(({ p }) => usesConsent(p));
      const first = consent[0];
      if (!first) return [];
      return [
        {
          path: ['purposes', first.i, first.p.lawful_basis === 'consent' ? 'lawful_basis' : 'special_condition'],
          message: `${list(consent.map(({ p }) => q(p.name)))} rel${consent.length > 1 ? 'y' : 'ies'} on consent, but the declaration gives no way to withdraw it. People must be able to withdraw as easily as they gave consent, and the notice must tell them how. Add rights.consent.withdrawal_channels, e.g. [email, unsubscribe-link].`,
        },
      ];
    },
  },
  {
    id: 'consent-renewal-without-validity',
    severity: 'warning',
    description: 'A consent renewal notice is set without a consent validity period.',
    fix: 'Add rights.consent.validity (e.g. "3 years"), or remove renewal_notice.',
    check: ({ policy }) => {
      const c = policy.rights.consent;
      return c.renewal_notice && !c.validity
        ? [{ path: ['rights', 'consent', 'renewal_notice'], message: `A renewal request is sent ${c.renewal_notice} before consent lapses, but consent never lapses because no validity is set. Add rights.consent.validity, e.g. "3 years".` }]
        : [];
    },
  },
  {
    id: 'marketing-channels-missing',
    severity: 'warning',
    description: 'A direct-marketing purpose does not list its channels (PECR rules differ by channel).',
    fix: 'Add channels, e.g. [email, phone, post].',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.direct_marketing && (p.channels ?? []).length === 0
          ? [{ path: ['purposes', i, 'channels'], message: `${purposeLabel(p)} is direct marketing but does not say how people are contacted. The rules differ by channel (email and text need consent or the soft opt-in; calls must be screened against the TPS), so Steward needs them. Add channels, e.g. [email, phone].` }]
          : [],
      ),
  },
  {
    id: 'pecr-consent-needed',
    severity: 'warning',
    description: 'Email or text marketing to individual subscribers without consent (PECR reg 22).',
    fix: 'Use lawful_basis: consent, or, where the soft opt-in applies (existing customers, similar products, opt-out offered), set soft_opt_in: true.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        // A declared soft opt-in is checked by soft-opt-in-misused instead.
        if (!p.direct_marketing || p.lawful_basis === 'consent' || p.soft_opt_in) return [];
        const electronic = (p.channels ?? []).filter((c) => c === 'email' || c === 'sms');
        const individuals = p.relationships.filter((r) => ctx.relationships.get(r)?.subscriber_types?.includes('individual'));
        if (electronic.length === 0 || individuals.length === 0) return [];
        return [
          {
            path: ['purposes', i, 'lawful_basis'],
            message: `${purposeLabel(p)} sends ${list(electronic)} marketing to individual subscribers (${list(individuals.map((r) => q(ctx.relationships.get(r)?.name ?? r)))}, which includes sole traders and non-limited partnerships) without relying on consent. PECR requires their consent, unless the soft opt-in applies: details obtained in a sale or negotiation, your own similar products, and an opt-out offered at collection and in every message. Use lawful_basis: consent, or, if the soft opt-in applies, limit this purpose to those customers and set soft_opt_in: true.`,
          },
        ];
      }),
  },
  {
    id: 'soft-opt-in-misused',
    severity: 'error',
    description: 'soft_opt_in is set on a purpose the PECR soft opt-in cannot cover (reg 22(3)).',
    fix: 'Keep soft_opt_in only on direct marketing, not based on consent, to customers or enquirers whose details you got from them in a sale or negotiation; otherwise use consent.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        if (!p.soft_opt_in) return [];
        const reasons: string[] = [];
        if (!p.direct_marketing) reasons.push('it is not direct marketing (direct_marketing is not true), and the soft opt-in is an exception only to the marketing rules');
        if (p.lawful_basis === 'consent') reasons.push('it relies on consent, and the soft opt-in is the alternative to consent, not a form of it: choose one');
        if (!p.relationships.some((r) => inSaleOrNegotiation(ctx.relationships.get(r)))) {
          const names = list(p.relationships.map((r) => q(ctx.relationships.get(r)?.name ?? r)));
          reasons.push(`none of its relationships (${names}) is one where you got people's details in a sale or negotiation for a sale, such as customers or enquirers`);
        }
        const bought = (p.sources ?? []).filter((s) => ctx.sources.get(s)?.kind === 'purchased-list');
        if (bought.length > 0) reasons.push(`its data comes from ${list(bought.map((s) => q(ctx.sources.get(s)?.name ?? s)))}, a bought list, while the soft opt-in covers only details you collected from the person yourself`);
        if (reasons.length === 0) return [];
        return [
          {
            path: ['purposes', i, 'soft_opt_in'],
            message: `${purposeLabel(p)} claims the PECR soft opt-in, but ${list(reasons)}. The soft opt-in lets you email or text people without consent only about your own similar products, where you got their details from them in a sale or negotiation, and offered a free opt-out then and in every message. Remove soft_opt_in and rely on consent, or limit the purpose to such customers.`,
          },
        ];
      }),
  },
  {
    id: 'bought-in-consent',
    severity: 'warning',
    description: 'Consent-based marketing uses a bought-in list.',
    fix: 'Check that the consent named you specifically and is recent; otherwise do not use the list for email or text.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        if (!usesConsent(p)) return [];
        const bought = (p.sources ?? []).filter((s) => ctx.sources.get(s)?.kind === 'purchased-list');
        return bought.length > 0
          ? [{ path: ['purposes', i, 'sources'], message: `${purposeLabel(p)} relies on consent for data bought from ${list(bought.map((s) => q(ctx.sources.get(s)?.name ?? s)))}. Consent collected by someone else is valid only if it named your organisation specifically and is recent; a general "selected third parties" consent is not. Keep evidence of it, and send these people your privacy notice within a month (Art 14(3)).` }]
          : [];
      }),
  },
];
