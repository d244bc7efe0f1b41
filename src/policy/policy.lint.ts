/**
 * The linter: consistency checks, and the contents UK GDPR Arts 13/14 require of a privacy notice.
 *
 * A pure function over a validated declaration. Each rule is a small function in LINT_RULES with a
 * stable id, one severity and a one-line description; docs/lint-rules.md lists them all and the
 * tests iterate over the table, so a new rule cannot go undocumented or untested.
 *
 * Severities: "error" — the notice would be unlawful or the declaration contradicts itself (a
 * purpose with no lawful basis, a transfer with no valid safeguard); "warning" — probably wrong or
 * incomplete, worth fixing before publishing; "info" — allowed, but worth knowing.
 *
 * Rules that describe the notice's contents skip purposes where the organisation only acts as a
 * processor (every relationship of the purpose has role "processor"): for that data the client is
 * the controller and gives the notice (Art 28; Arts 13/14 bind controllers).
 */
import { FIELD_RULES } from './fields.lint.js';
import { q, list } from './lint.types.js';
import type { LoadedPolicy, PolicyPath } from './policy.loader.js';
import { formatPath } from './policy.loader.js';
import { LINT_RULES_2025 } from './policy.lint.2025.js';
import {
  LAWFUL_BASES,
  RECOGNISED_INTERESTS,
  type DataCategory,
  type Entity,
  type Policy,
  type Purpose,
  type Relationship,
  type Safeguard,
} from './policy.schema.js';
import { PROMISE_RULES } from '../promises/promises.lint.js';

export type { Finding, LintContext, LintRule, RuleHit, Severity } from './lint.types.js';
import type { Finding, LintContext, LintRule, Severity } from './lint.types.js';
import { ACCOUNTABILITY_RULES } from './accountability.lint.js';

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

export { EEA_COUNTRIES, UK_ADEQUATE_COUNTRIES } from './adequacy.js';
import { UK_ADEQUATE_COUNTRIES } from './adequacy.js';

/** Adequacy that covers only part of a country's organisations. */
const PARTIAL_ADEQUACY: Readonly<Record<string, string>> = {
  CA: 'covers only commercial organisations subject to PIPEDA, not every Canadian recipient',
  JP: 'covers only the private sector under the APPI, not public bodies',
};

/** Safeguards under Art 46/47 of which the notice must say how to get a copy (Art 13(1)(f)). */
const COPY_SAFEGUARDS: ReadonlySet<Safeguard> = new Set(['idta', 'eu-scc-with-uk-addendum', 'binding-corporate-rules']);

/** Art 9(2) conditions that, under DPA 2018 s10, also need a Schedule 1 condition. */
const NEEDS_SCHEDULE1 = new Set(['employment-social-security', 'substantial-public-interest', 'health-or-social-care', 'public-health', 'archiving-research-statistics']);

/** Laws and mechanisms that are no longer in force, as organisations tend to write them. */
const REPEALED: ReadonlyArray<{ pattern: RegExp; what: string; instead: string }> = [
  {
    pattern: /data protection act,?\s*1998|\bDPA\s*1998\b/i,
    what: 'the Data Protection Act 1998, repealed on 25 May 2018',
    instead: 'the Data Protection Act 2018',
  },
  {
    pattern: /95\/46|data protection directive|\bDPD\b/i,
    what: 'the EU Data Protection Directive 95/46/EC, repealed on 25 May 2018',
    instead: 'the UK GDPR',
  },
  {
    pattern: /privacy shield/i,
    what: 'the EU-US Privacy Shield, invalidated by the EU Court of Justice on 16 July 2020',
    instead: 'the UK Extension to the EU-US Data Privacy Framework, if your US recipients are certified under it',
  },
  {
    pattern: /safe harbou?r/i,
    what: 'the EU-US Safe Harbour framework, invalidated in October 2015',
    instead: 'the UK Extension to the EU-US Data Privacy Framework, if your US recipients are certified under it',
  },
];

const CARD_DATA = /\b(card numbers?|card details|(payment|credit|debit) cards?|cvv2?|cvc2?|cv2|card security codes?|PAN|primary account numbers?)\b/i;

const BASIS_LIST = LAWFUL_BASES.join(', ');

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const purposeLabel = (p: Purpose): string => `The purpose ${q(p.name)}`;

/** The entity named as controller, or the first one (as the notice assumes). */
const controllerEntity = (policy: Policy): Entity | undefined =>
  policy.organisation.entities.find((e) => e.id === policy.organisation.controller) ?? policy.organisation.entities[0];

/** Every relationship of the purpose is one where we act as a processor for a client. */
export function isProcessorOnly(ctx: LintContext, p: Purpose): boolean {
  return p.relationships.length > 0 && p.relationships.every((r) => ctx.relationships.get(r)?.role === 'processor');
}

const categoriesOf = (ctx: LintContext, p: Purpose): DataCategory[] =>
  p.categories.map((c) => ctx.categories.get(c)).filter((c): c is DataCategory => c !== undefined);

/** Nothing used by the purpose is ever stored, so there is nothing to delete. */
const storesNothing = (ctx: LintContext, p: Purpose): boolean => categoriesOf(ctx, p).every((c) => c.storage === 'never');

/** Purposes for which the organisation is the controller and so owes people a notice. */
const controllerPurposes = (ctx: LintContext): Array<[Purpose, number]> =>
  ctx.policy.purposes.map((p, i): [Purpose, number] => [p, i]).filter(([p]) => !isProcessorOnly(ctx, p));

const usesConsent = (p: Purpose): boolean => p.lawful_basis === 'consent' || p.special_condition === 'explicit-consent';

/** Places where personal data crosses a border: recipients with countries, and transfers. */
interface Crossing {
  path: PolicyPath;
  label: string;
  /** The countries named; empty when none are (see countriesStated). */
  countries: readonly string[];
  /** False for a transfers entry that names no countries (nor does its recipient). */
  countriesStated: boolean;
  safeguard: Safeguard | undefined;
  safeguardCopy: string | undefined;
}

/**
 * Recipients that name countries or a safeguard, and every transfers entry. A transfers entry that
 * names a recipient takes that recipient's countries, safeguard and copy where it gives none of its
 * own, as the notice does; and a recipient's safeguard copy counts as given when a transfers entry
 * naming it gives one, since the notice then shows that entry in the recipient's place.
 */
function crossings(ctx: LintContext): Crossing[] {
  const out: Crossing[] = [];
  const copyFromTransfers = new Map<string, string>();
  for (const t of ctx.policy.transfers) {
    if (t.recipient && t.safeguard_copy && !copyFromTransfers.has(t.recipient)) copyFromTransfers.set(t.recipient, t.safeguard_copy);
  }
  ctx.policy.recipients.forEach((r, i) => {
    if ((r.countries && r.countries.length > 0) || r.safeguard) {
      out.push({
        path: ['recipients', i],
        label: `The recipient ${q(r.name)}`,
        countries: r.countries ?? [],
        countriesStated: true,
        safeguard: r.safeguard,
        safeguardCopy: r.safeguard_copy ?? copyFromTransfers.get(r.id),
      });
    }
  });
  ctx.policy.transfers.forEach((t, i) => {
    const recipient = t.recipient ? ctx.recipients.get(t.recipient) : undefined;
    const countries = t.countries ?? recipient?.countries;
    out.push({
      path: ['transfers', i],
      label: `The transfer ${q(t.id)}`,
      countries: countries ?? [],
      countriesStated: countries !== undefined && countries.length > 0,
      safeguard: t.safeguard ?? recipient?.safeguard,
      safeguardCopy: t.safeguard_copy ?? recipient?.safeguard_copy,
    });
  });
  return out;
}

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

const outsideAdequacy = (countries: readonly string[]): string[] => countries.filter((c) => !UK_ADEQUATE_COUNTRIES.has(c));

const isoWhere = (countries: readonly string[]): string => list(countries.map((c) => (c === 'US' ? 'the United States (US)' : c)));

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

export const LINT_RULES: readonly LintRule[] = [
  // --- Who the controller is (Art 13(1)(a), (b)) ---------------------------------------------
  {
    id: 'controller-contact-missing',
    severity: 'error',
    description: 'The organisation gives no way to contact it (Art 13(1)(a)).',
    fix: 'Add at least an email, phone number or postal address under organisation.contact.',
    check: ({ policy }) => {
      const c = policy.organisation.contact;
      return c.email || c.phone || c.address || c.web || c.contact_form || c.live_chat
        ? []
        : [{ path: ['organisation', 'contact'], message: 'The notice must say how to contact the organisation, but organisation.contact is empty. Add an email address, phone number or postal address.' }];
    },
  },
  {
    id: 'controller-address-missing',
    severity: 'warning',
    description: 'The controller has no postal address (registered, trading or contact address).',
    fix: 'Add registered_address to the controller entity, or organisation.contact.address.',
    check: ({ policy }) => {
      const org = policy.organisation;
      const controller = controllerEntity(policy);
      if (!controller || controller.registered_address || controller.trading_address || org.contact.address) return [];
      const i = org.entities.indexOf(controller);
      return [
        {
          path: ['organisation', 'entities', i],
          message: `The notice must identify the controller, ${q(controller.name)}, but no postal address is declared for it. Add registered_address (as at Companies House) to the entity, or an address under organisation.contact.`,
        },
      ];
    },
  },
  {
    id: 'controller-not-named',
    severity: 'warning',
    description: 'Several legal entities are declared but none is named as the controller.',
    fix: 'Set organisation.controller to the id of the entity that decides how the data is used.',
    check: ({ policy }) => {
      const org = policy.organisation;
      if (org.entities.length < 2 || org.controller) return [];
      return [
        {
          path: ['organisation', 'entities'],
          message: `The declaration covers ${String(org.entities.length)} companies (${list(org.entities.map((e) => e.name))}) but does not say which of them is the controller, so the notice would name the first by default. Set organisation.controller to the entity that decides how the data is used; if they decide together, list the other under organisation.joint_controllers.`,
        },
      ];
    },
  },
  {
    id: 'privacy-contact-missing',
    severity: 'info',
    description: 'No privacy contact or Data Protection Officer is declared.',
    fix: 'If you have a DPO (or a privacy lead) add organisation.privacy_contact with their contact details.',
    check: ({ policy }) =>
      policy.organisation.privacy_contact
        ? []
        : [{ path: ['organisation', 'privacy_contact'], message: 'No privacy contact is declared. If you have appointed a Data Protection Officer the notice must give their contact details (Art 13(1)(b)); if not, naming a person or team for privacy questions still helps. Add organisation.privacy_contact.' }],
  },
  {
    id: 'privacy-contact-unreachable',
    severity: 'warning',
    description: 'The DPO or privacy contact has no email, phone or address of their own.',
    fix: 'Add email, phone or address to organisation.privacy_contact (a shared mailbox is fine).',
    check: ({ policy }) => {
      const pc = policy.organisation.privacy_contact;
      if (!pc || pc.email || pc.phone || pc.address) return [];
      const who = pc.kind === 'dpo' ? 'Data Protection Officer' : 'privacy contact';
      return [
        {
          path: ['organisation', 'privacy_contact'],
          message: `The ${who}${pc.title ? ` (${pc.title})` : ''} has no contact details, so the notice cannot say how to reach them${pc.kind === 'dpo' ? ' as Art 13(1)(b) requires' : ''}. Add an email, phone number or address under organisation.privacy_contact.`,
        },
      ];
    },
  },
  {
    id: 'complaint-authority-contact-missing',
    severity: 'warning',
    description: 'The supervisory authority (the ICO) is named without a website or phone number.',
    fix: 'Give organisation.supervisory_authority a website (https://ico.org.uk) or phone (0303 123 1113), or remove it to use the default.',
    check: ({ policy }) => {
      const sa = policy.organisation.supervisory_authority;
      return sa.website || sa.phone
        ? []
        : [{ path: ['organisation', 'supervisory_authority'], message: `The notice must tell people they can complain to ${sa.name} (Art 13(2)(d)), but gives no way to reach it. Add website: https://ico.org.uk or phone: 0303 123 1113.` }];
    },
  },

  // --- The law the notice cites ----------------------------------------------------------------
  {
    id: 'repealed-law-cited',
    severity: 'warning',
    description: 'notice.legal_references cites a repealed law or an invalid transfer mechanism.',
    fix: 'Replace it with the UK GDPR, the Data Protection Act 2018 and PECR.',
    check: ({ policy }) =>
      policy.notice.legal_references.flatMap((ref, i) =>
        REPEALED.filter((r) => r.pattern.test(ref)).map((r) => ({
          path: ['notice', 'legal_references', i],
          message: `${q(ref)} refers to ${r.what}. Citing it tells readers the policy is out of date; cite ${r.instead} instead.`,
        })),
      ),
  },
  {
    id: 'eu-gdpr-only',
    severity: 'info',
    description: 'The notice cites the (EU) GDPR but not the UK GDPR.',
    fix: 'Cite "UK GDPR" and "Data Protection Act 2018" in notice.legal_references.',
    check: ({ policy }) => {
      const refs = policy.notice.legal_references;
      const gdpr = refs.findIndex((r) => /\bGDPR\b|general data protection regulation/i.test(r));
      const uk = refs.some((r) => /\bUK[\s-]*GDPR\b|UK general data protection regulation/i.test(r));
      if (gdpr < 0 || uk) return [];
      return [
        {
          path: ['notice', 'legal_references', gdpr],
          message: `${q(refs[gdpr] ?? '')} is the EU regulation. Since 1 January 2021 the law that applies in the UK is the UK GDPR, with the Data Protection Act 2018 and PECR. Add "UK GDPR" and "Data Protection Act 2018"; keep the EU GDPR only if you also serve people in the EU.`,
        },
      ];
    },
  },

  // --- Relationships ---------------------------------------------------------------------------
  {
    id: 'processor-client-missing',
    severity: 'warning',
    description: 'A processor relationship does not say on whose behalf the data is processed.',
    fix: 'Add on_behalf_of to the relationship, naming the client (the controller).',
    check: ({ policy }) =>
      policy.relationships.flatMap((r, i) =>
        r.role === 'processor' && !r.on_behalf_of
          ? [{ path: ['relationships', i, 'on_behalf_of'], message: `For ${q(r.name)} you act as a processor, but the declaration does not say for whom. Add on_behalf_of naming the client whose instructions you follow; that client is the controller and answers to these people.` }]
          : [],
      ),
  },
  {
    id: 'processor-data-own-purpose',
    severity: 'warning',
    description: 'Data held as a processor is also used for the organisation\'s own purposes.',
    fix: 'Take the processor relationship out of the purpose, or declare the relationship with role: controller.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const processorRels = p.relationships.filter((r) => ctx.relationships.get(r)?.role === 'processor');
        if (processorRels.length === 0) return [];
        const mixed = processorRels.length < p.relationships.length;
        if (!mixed && !p.direct_marketing) return [];
        const names = processorRels.map((r) => q(ctx.relationships.get(r)?.name ?? r));
        const why = p.direct_marketing ? 'for your own marketing' : 'alongside data you control, for your own ends';
        return [
          {
            path: ['purposes', i, 'relationships'],
            message: `${purposeLabel(p)} uses the data of ${list(names)}, which you hold as a processor on a client's behalf, ${why}. A processor may only act on its client's instructions; using the data for yourself makes you its controller, with a lawful basis and notice of your own. Remove the relationship from this purpose, or declare it as role: controller.`,
          },
        ];
      }),
  },
  {
    id: 'relationship-unused',
    severity: 'info',
    description: 'A relationship is declared but no purpose uses it.',
    fix: 'Add the relationship to the purposes that use its data, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.relationships));
      return policy.relationships.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['relationships', i], message: `No purpose uses the data of ${q(r.name)}, so records of these people cannot be tied to a purpose and lawful basis. Add "${r.id}" to the relationships of the purposes that use it, or remove it.` }],
      );
    },
  },

  // --- Data categories ---------------------------------------------------------------------------
  {
    id: 'never-stored-category-used',
    severity: 'error',
    description: 'A purpose uses a data category declared with storage: never.',
    fix: 'Remove the category from the purpose, or use a reference-only category (a payment token, the last four digits).',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        // As a processor the data stays in the client's systems (a device under repair, their cloud).
        if (isProcessorOnly(ctx, p)) return [];
        return p.categories.flatMap((c, j) => {
          const cat = ctx.categories.get(c);
          return cat?.storage === 'never'
            ? [{ path: ['purposes', i, 'categories', j], message: `${purposeLabel(p)} uses ${q(cat.name)}, which the declaration says is never stored, so Steward would refuse every record it needs. If the purpose only needs to refer to it, declare a separate category with storage: reference-only (for cards: the payment provider's token and the last four digits) and use that here.` }]
            : [];
        });
      }),
  },
  {
    id: 'card-data-stored',
    severity: 'warning',
    description: 'A category that looks like payment card data is stored.',
    fix: 'Set storage: never for card numbers and CVV, and keep only a provider token (storage: reference-only).',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        c.storage === 'stored' && [c.name, ...c.examples].some((t) => CARD_DATA.test(t))
          ? [{ path: ['data_categories', i, 'storage'], message: `${q(c.name)} looks like payment card data and is stored. PCI DSS forbids keeping the card security code (CVV) after authorisation, even encrypted, and storing full card numbers needs PCI DSS controls Steward does not provide. Declare card numbers and CVV with storage: never, and keep only the payment provider's token and the last four digits in a category with storage: reference-only.` }]
          : [],
      ),
  },
  {
    id: 'reference-holder-missing',
    severity: 'info',
    description: 'A reference-only category is not received by any recipient that holds the original.',
    fix: 'Add the category to the categories of the recipient that holds the data (e.g. the payment provider).',
    check: ({ policy }) => {
      const held = new Set(policy.recipients.flatMap((r) => r.categories ?? []));
      return policy.data_categories.flatMap((c, i) =>
        c.storage === 'reference-only' && !held.has(c.id)
          ? [{ path: ['data_categories', i, 'storage'], message: `Only a reference to ${q(c.name)} is kept, but no recipient is declared as holding the data itself. Add "${c.id}" to the categories of the recipient that does (for example your payment provider), so the notice can say who has it.` }]
          : [],
      );
    },
  },
  {
    id: 'restricted-roles-empty',
    severity: 'warning',
    description: 'restricted_to_roles is an empty list, so nobody could read the category.',
    fix: 'List the roles that may read it (e.g. [dpo]) or remove restricted_to_roles.',
    check: ({ policy }) =>
      policy.data_categories.flatMap((c, i) =>
        c.restricted_to_roles && c.restricted_to_roles.length === 0
          ? [{ path: ['data_categories', i, 'restricted_to_roles'], message: `${q(c.name)} is restricted to an empty list of roles, so no one could read it, not even to answer an access request. List the roles that may, e.g. restricted_to_roles: [dpo].` }]
          : [],
      ),
  },
  {
    id: 'category-unused',
    severity: 'info',
    description: 'A stored data category is declared but no purpose uses it.',
    fix: 'Add the category to the purposes that use it, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.categories));
      return policy.data_categories.flatMap((c, i) =>
        used.has(c.id) || c.storage === 'never'
          ? []
          : [{ path: ['data_categories', i], message: `No purpose uses ${q(c.name)}, so there is no lawful basis for holding it. Add "${c.id}" to the purposes that use it, or remove it.` }],
      );
    },
  },

  // --- Lawful basis (Art 6) --------------------------------------------------------------------
  {
    id: 'lawful-basis-missing',
    severity: 'error',
    description: 'A purpose has no lawful basis (Art 6(1); Art 13(1)(c)).',
    fix: `Add lawful_basis: one of ${BASIS_LIST}.`,
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        p.lawful_basis
          ? []
          : [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} has no lawful basis. Every use of personal data needs one and the notice must state it. Add lawful_basis: contract (needed to deliver what the person asked for), legal-obligation (a law requires it), legitimate-interests (your own reasonable interest, with legitimate_interest saying what it is), consent, vital-interests, public-task or recognised-legitimate-interest.` }],
      ),
  },
  {
    id: 'legitimate-interest-missing',
    severity: 'error',
    description: 'A legitimate-interests purpose does not say what the interest is (Art 13(1)(d)).',
    fix: 'Add legitimate_interest: the interest in plain words, e.g. "to grow our business by contacting people we have met".',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.lawful_basis === 'legitimate-interests' && !p.legitimate_interest
          ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on legitimate interests but does not say what the interest is; the notice must. Add legitimate_interest describing it in plain words, and link your assessment in lia_reference.` }]
          : [],
      ),
  },
  {
    id: 'recognised-interest-missing',
    severity: 'error',
    description: 'A recognised-legitimate-interest purpose does not say which recognised interest applies.',
    fix: `Add recognised_interest: one of ${RECOGNISED_INTERESTS.join(', ')}.`,
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.lawful_basis === 'recognised-legitimate-interest' && !p.recognised_interest
          ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on a recognised legitimate interest (Art 6(1)(ea)) but does not say which; only a fixed list qualifies. Add recognised_interest: one of ${RECOGNISED_INTERESTS.join(', ')}, or choose another basis.` }]
          : [],
      ),
  },
  {
    id: 'public-authority-legitimate-interests',
    severity: 'warning',
    description: 'A public authority relies on legitimate interests.',
    fix: 'Use public-task for the authority\'s tasks; keep legitimate-interests only for other activities.',
    check: ({ policy }) =>
      policy.organisation.public_authority
        ? policy.purposes.flatMap((p, i) =>
            p.lawful_basis === 'legitimate-interests'
              ? [{ path: ['purposes', i, 'lawful_basis'], message: `${purposeLabel(p)} relies on legitimate interests, which a public authority cannot use for its tasks (Art 6(1), last sentence). Use public-task if this is one of your official functions.` }]
              : [],
          )
        : [],
  },

  // --- Special category and criminal-offence data (Arts 9, 10) ---------------------------------
  {
    id: 'special-condition-missing',
    severity: 'error',
    description: 'A purpose uses special-category data without an Art 9(2) condition.',
    fix: 'Add special_condition (e.g. explicit-consent, employment-social-security, legal-claims).',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const special = categoriesOf(ctx, p).filter((c) => c.special_category);
        return special.length > 0 && !p.special_condition
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} uses ${list(special.map((c) => `${q(c.name)} (${c.special_category ?? ''})`))}, which is special-category data: besides a lawful basis it needs one of the conditions in Art 9(2). Add special_condition, e.g. explicit-consent, employment-social-security or legal-claims; several also need schedule1_condition.` }]
          : [];
      }),
  },
  {
    id: 'special-condition-unneeded',
    severity: 'info',
    description: 'A purpose names an Art 9 condition but uses no special-category data.',
    fix: 'Remove special_condition, or mark the category that is special with special_category.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) =>
        p.special_condition && !categoriesOf(ctx, p).some((c) => c.special_category)
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} names an Art 9 condition but none of its data categories is special-category data. Either a category is missing its special_category, or the condition can go.` }]
          : [],
      ),
  },
  {
    id: 'schedule1-condition-missing',
    severity: 'warning',
    description: 'The Art 9 condition chosen also needs a DPA 2018 Schedule 1 condition.',
    fix: 'Add schedule1_condition naming the Schedule 1 paragraph, e.g. "Sch 1 para 1 (employment)".',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.special_condition && NEEDS_SCHEDULE1.has(p.special_condition) && !p.schedule1_condition
          ? [{ path: ['purposes', i, 'special_condition'], message: `${purposeLabel(p)} uses the Art 9 condition ${p.special_condition}, which in the UK also needs a condition from Schedule 1 of the Data Protection Act 2018 (s10), often with an appropriate policy document. Add schedule1_condition naming it.` }]
          : [],
      ),
  },
  {
    id: 'criminal-offence-data',
    severity: 'warning',
    description: 'A purpose uses criminal-offence data without a DPA 2018 Schedule 1 condition (Art 10).',
    fix: 'Add schedule1_condition naming the Schedule 1 condition (e.g. "Sch 1 para 10, preventing or detecting unlawful acts").',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) => {
        const crim = categoriesOf(ctx, p).filter((c) => c.criminal_offence);
        return crim.length > 0 && !p.schedule1_condition
          ? [{ path: ['purposes', i, 'categories'], message: `${purposeLabel(p)} uses ${list(crim.map((c) => q(c.name)))}, data about criminal offences or allegations. A private organisation may only process it under a condition in Schedule 1 of the Data Protection Act 2018 (Art 10; s10(5)), usually with an appropriate policy document. Add schedule1_condition naming the condition, e.g. "Sch 1 para 10 (preventing or detecting unlawful acts)".` }]
          : [];
      }),
  },

  // --- Notice contents: Art 13 / Art 14 --------------------------------------------------------
  {
    id: 'requirement-missing',
    severity: 'warning',
    description: 'Data collected from the person, but the purpose does not say whether providing it is required (Art 13(2)(e)).',
    fix: 'Add requirement: { kind: contract-prerequisite | contractual | statutory | optional, consequence: … }.',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        !p.requirement && (p.sources ?? []).some((s) => ctx.sources.get(s)?.kind === 'data-subject')
          ? [{ path: ['purposes', i, 'requirement'], message: `${purposeLabel(p)} collects data from the person, so the notice must say whether they have to provide it and what happens if they don't (Art 13(2)(e)). Add requirement with kind (statutory, contractual, contract-prerequisite or optional) and consequence, e.g. "we cannot deliver the service".` }]
          : [],
      ),
  },
  {
    id: 'sources-missing',
    severity: 'warning',
    description: 'A purpose lists no sources, so the notice cannot say where the data comes from.',
    fix: 'Add sources: the ids of the sources (the person themselves, a client, a credit reference agency …).',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        (p.sources ?? []).length === 0
          ? [{ path: ['purposes', i, 'sources'], message: `${purposeLabel(p)} does not say where its data comes from. The notice must say whether it is collected from the person (Art 13) or name the source (Art 14). Add sources listing the ids of declared sources.` }]
          : [],
      ),
  },
  {
    id: 'public-source-not-flagged',
    severity: 'info',
    description: 'A public source is not marked publicly_accessible (Art 14(2)(f)).',
    fix: 'Set publicly_accessible: true on the source, or change its kind.',
    check: ({ policy }) =>
      policy.sources.flatMap((s, i) =>
        (s.kind === 'public-register' || s.kind === 'public-source') && !s.publicly_accessible
          ? [{ path: ['sources', i, 'publicly_accessible'], message: `The source ${q(s.name)} is of kind ${s.kind} but not marked publicly accessible; the notice must say when data came from a public source. Set publicly_accessible: true, or pick another kind.` }]
          : [],
      ),
  },
  {
    id: 'source-unused',
    severity: 'info',
    description: 'A source is declared but no purpose uses it.',
    fix: 'Add the source to the purposes whose data comes from it, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => p.sources ?? []));
      return policy.sources.flatMap((s, i) =>
        used.has(s.id) ? [] : [{ path: ['sources', i], message: `No purpose uses the source ${q(s.name)}, so the notice will not mention it. Add "${s.id}" to the sources of the purposes it feeds, or remove it.` }],
      );
    },
  },
  {
    id: 'automated-decision-safeguards-missing',
    severity: 'warning',
    description: 'An automated decision does not say how to get a human review (Art 22).',
    fix: 'Add automated_decision.safeguards: how to ask for a person to review or contest the decision.',
    check: ({ policy }) =>
      policy.purposes.flatMap((p, i) =>
        p.automated_decision && !p.automated_decision.safeguards
          ? [{ path: ['purposes', i, 'automated_decision'], message: `${purposeLabel(p)} makes automated decisions but does not say how people can get a human to review or contest them. Add automated_decision.safeguards.` }]
          : [],
      ),
  },
  {
    id: 'recipient-unused',
    severity: 'info',
    description: 'A recipient is declared but no purpose, transfer or cookie refers to it.',
    fix: 'Add the recipient to the purposes that share data with it, or remove it.',
    check: ({ policy }) => {
      const used = new Set([
        ...policy.purposes.flatMap((p) => p.recipients ?? []),
        ...policy.transfers.flatMap((t) => (t.recipient ? [t.recipient] : [])),
        ...policy.cookies.flatMap((c) => (c.recipient ? [c.recipient] : [])),
      ]);
      return policy.recipients.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['recipients', i], message: `No purpose says why data goes to ${q(r.name)}. Add "${r.id}" to the recipients of the purposes that share data with it, or remove it.` }],
      );
    },
  },

  // --- Retention (Art 13(2)(a)) ----------------------------------------------------------------
  {
    id: 'retention-missing',
    severity: 'error',
    description: 'A purpose has no retention rule (Art 13(2)(a)).',
    fix: 'Add retention: the id of a rule in the retention list (e.g. "6 years after the contract ends").',
    check: (ctx) =>
      controllerPurposes(ctx).flatMap(([p, i]) =>
        p.retention || storesNothing(ctx, p)
          ? []
          : [{ path: ['purposes', i, 'retention'], message: `${purposeLabel(p)} does not say how long its data is kept; the notice must give the period or the criteria that decide it. Add a rule to the retention list (e.g. duration: 6 years, trigger: contract-ended) and set retention to its id.` }],
      ),
  },
  {
    id: 'processor-retention-missing',
    severity: 'warning',
    description: 'A purpose where you act as a processor has no retention rule (Art 28(3)(g)).',
    fix: 'Add a retention rule, usually "until the service for the client ends", then delete or return.',
    check: (ctx) =>
      ctx.policy.purposes.flatMap((p, i) =>
        isProcessorOnly(ctx, p) && !p.retention && !storesNothing(ctx, p)
          ? [{ path: ['purposes', i, 'retention'], message: `${purposeLabel(p)} holds data for a client but does not say when it is deleted. A processor must delete or return the data when the service ends (Art 28(3)(g)). Add a retention rule, e.g. until: service-ended.` }]
          : [],
      ),
  },
  {
    id: 'retention-trigger-missing',
    severity: 'error',
    description: 'A retention period has no starting event (neither trigger nor until).',
    fix: 'Add trigger (the event the period counts from, e.g. contract-ended) or until.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        r.duration && !r.trigger && !r.until
          ? [{ path: ['retention', i, 'trigger'], message: `The retention rule ${q(r.id)} keeps data for ${r.duration} but does not say after what. Add trigger: the event the period counts from, e.g. contract-ended, account-closed, last-contact or collection.` }]
          : [],
      ),
  },
  {
    id: 'retention-open-ended',
    severity: 'error',
    description: 'A retention rule has no period, end event, criteria or review: data would be kept forever.',
    fix: 'Add duration (with trigger), until, or criteria describing how the period is decided.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        !r.duration && !r.until && !r.criteria && !r.review_every
          ? [{ path: ['retention', i], message: `The retention rule ${q(r.id)} gives no period, no end event and no criteria, so the data would be kept indefinitely. Add duration with trigger (e.g. 6 years after contract-ended), until (e.g. until contract-ended), or criteria explaining how the period is decided.` }]
          : [],
      ),
  },
  {
    id: 'retention-criteria-only',
    severity: 'info',
    description: 'A retention rule has only criteria: Steward cannot delete automatically.',
    fix: 'Where you can, add a duration and trigger, or review_every so Steward schedules reviews.',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        !r.duration && !r.until && r.criteria && !r.review_every
          ? [{ path: ['retention', i, 'criteria'], message: `The retention rule ${q(r.id)} is described only by criteria. The law allows this, but Steward cannot compute an end date, so nothing will be deleted automatically. Add a duration and trigger if you can, or review_every so the records come up for review.` }]
          : [],
      ),
  },
  {
    id: 'retention-trigger-conflict',
    severity: 'warning',
    description: 'A retention rule has both trigger and until.',
    fix: 'Keep one: trigger ("N after the event") or until ("for the duration of …").',
    check: ({ policy }) =>
      policy.retention.flatMap((r, i) =>
        r.trigger && r.until
          ? [{ path: ['retention', i, 'until'], message: `The retention rule ${q(r.id)} has both trigger (${r.trigger}) and until (${r.until}), so it is unclear when the period starts. Use trigger for "N after an event", or until for "until an event (then N after it)".` }]
          : [],
      ),
  },
  {
    id: 'retention-unused',
    severity: 'info',
    description: 'A retention rule is declared but no purpose uses it.',
    fix: 'Set it as the retention of the purposes it applies to, or remove it.',
    check: ({ policy }) => {
      const used = new Set(policy.purposes.flatMap((p) => (p.retention ? [p.retention] : [])));
      return policy.retention.flatMap((r, i) =>
        used.has(r.id) ? [] : [{ path: ['retention', i], message: `No purpose uses the retention rule ${q(r.id)}, so it will never be applied. Set retention: ${r.id} on the purposes it covers, or remove it.` }],
      );
    },
  },

  // --- International transfers (Arts 44-49; Art 13(1)(f)) -------------------------------------
  {
    id: 'recipient-countries-missing',
    severity: 'warning',
    description: 'A recipient does not say in which countries it holds the data.',
    fix: 'Add countries: two-letter codes, e.g. [GB] or [GB, US].',
    check: ({ policy }) =>
      policy.recipients.flatMap((r, i) =>
        // A public authority receiving data under UK law is taken to be in the UK.
        (r.countries && r.countries.length > 0) || r.kind === 'public-authority'
          ? []
          : [{ path: ['recipients', i, 'countries'], message: `The declaration does not say where ${q(r.name)} holds the data, so it cannot be checked whether this is a transfer abroad that needs a safeguard, and the notice cannot say. Add countries, e.g. [GB]; if any are outside the UK and EEA, add a safeguard too.` }],
      ),
  },
  {
    id: 'transfer-countries-missing',
    severity: 'warning',
    description: 'A transfer does not say which countries the data goes to or is accessed from.',
    fix: 'Add countries to the transfer: two-letter codes, e.g. [IN] or [US, IN].',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        if (x.countriesStated || x.path[0] !== 'transfers') return [];
        const safeguard =
          x.safeguard && x.safeguard !== 'none'
            ? ''
            : ' No safeguard is named either: once the countries are known, say how the data is protected there (adequacy, or a safeguard such as idta or eu-scc-with-uk-addendum).';
        return [
          {
            path: [...x.path, 'countries'],
            message: `${x.label} does not say which countries the data goes to or is accessed from, so the notice cannot tell people where their data goes, and it cannot be checked whether those countries have UK adequacy or need a safeguard.${safeguard} Add countries, e.g. [IN] or [US].`,
          },
        ];
      }),
  },
  {
    id: 'transfer-safeguard-missing',
    severity: 'error',
    description: 'Data goes to a country without UK adequacy and no safeguard is declared.',
    fix: 'Add safeguard: idta, eu-scc-with-uk-addendum, binding-corporate-rules or (US, certified recipients) uk-us-data-bridge.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const outside = outsideAdequacy(x.countries);
        if (outside.length === 0 || (x.safeguard && x.safeguard !== 'none')) return [];
        const us = outside.includes('US') ? ' For the US, uk-us-data-bridge covers only organisations certified under the UK Extension to the Data Privacy Framework.' : '';
        return [
          {
            path: [...x.path, 'safeguard'],
            message: `${x.label} sends data to ${isoWhere(outside)}, which ${outside.length > 1 ? 'do' : 'does'} not have UK adequacy, and no safeguard is declared. Add safeguard: idta (the UK International Data Transfer Agreement), eu-scc-with-uk-addendum or binding-corporate-rules.${us}`,
          },
        ];
      }),
  },
  {
    id: 'transfer-safeguard-invalid',
    severity: 'error',
    description: 'A transfer relies on the EU-US Privacy Shield, invalid since 16 July 2020.',
    fix: 'Use uk-us-data-bridge (if the US recipient is certified), idta or eu-scc-with-uk-addendum.',
    // Wrong whatever the countries, so it is reported even where none are given.
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard === 'eu-us-privacy-shield'
          ? [{ path: [...x.path, 'safeguard'], message: `${x.label} relies on the EU-US Privacy Shield, which the EU Court of Justice struck down on 16 July 2020 (Schrems II); it is no longer a lawful way to send data to the US. Check whether the recipient is certified under the UK Extension to the EU-US Data Privacy Framework and write uk-us-data-bridge, or sign the IDTA (idta) or the EU SCCs with the UK Addendum.` }]
          : [],
      ),
  },
  {
    id: 'adequacy-not-available',
    severity: 'error',
    description: '"adequacy" is claimed for a country that has no UK adequacy regulations.',
    fix: 'Use another safeguard (idta, eu-scc-with-uk-addendum, or uk-us-data-bridge for certified US recipients).',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const outside = outsideAdequacy(x.countries);
        if (x.safeguard !== 'adequacy' || outside.length === 0) return [];
        const us = outside.includes('US') ? ' The US has no general adequacy: use uk-us-data-bridge if the recipient is certified under the UK Extension to the Data Privacy Framework.' : '';
        return [{ path: [...x.path, 'safeguard'], message: `${x.label} claims adequacy, but ${isoWhere(outside)} ${outside.length > 1 ? 'have' : 'has'} no UK adequacy regulations.${us} Choose idta or eu-scc-with-uk-addendum otherwise.` }];
      }),
  },
  {
    id: 'data-bridge-not-us',
    severity: 'error',
    description: 'uk-us-data-bridge is claimed for a country other than the United States.',
    fix: 'Use the data bridge only for US recipients; give other countries their own safeguard.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) => {
        const others = outsideAdequacy(x.countries).filter((c) => c !== 'US');
        return x.safeguard === 'uk-us-data-bridge' && others.length > 0
          ? [{ path: [...x.path, 'safeguard'], message: `${x.label} uses the UK-US data bridge, which covers only certified organisations in the United States, but also sends data to ${isoWhere(others)}. Declare those countries separately with their own safeguard (idta or eu-scc-with-uk-addendum).` }]
          : [];
      }),
  },
  {
    id: 'adequacy-partial',
    severity: 'info',
    description: 'The country\'s UK adequacy covers only some organisations (Canada, Japan).',
    fix: 'Check the recipient is covered; otherwise add idta or eu-scc-with-uk-addendum.',
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard === undefined || x.safeguard === 'adequacy'
          ? x.countries
              .filter((c) => PARTIAL_ADEQUACY[c])
              .map((c) => ({ path: [...x.path, 'countries'], message: `${x.label} relies on adequacy for ${c}, whose UK adequacy ${PARTIAL_ADEQUACY[c] ?? ''}. Check that the recipient is covered; if not, add a safeguard such as idta.` }))
          : [],
      ),
  },
  {
    id: 'transfer-safeguard-copy-missing',
    severity: 'warning',
    description: 'A contractual safeguard is used but the notice cannot say how to get a copy (Art 13(1)(f)).',
    fix: 'Add safeguard_copy, e.g. "Ask our privacy team for a copy".',
    check: (ctx) =>
      crossings(ctx).flatMap((x) =>
        x.safeguard && COPY_SAFEGUARDS.has(x.safeguard) && !x.safeguardCopy && (!x.countriesStated || outsideAdequacy(x.countries).length > 0)
          ? [{ path: [...x.path, 'safeguard_copy'], message: `${x.label} relies on ${x.safeguard}; the notice must tell people how to get a copy of it. Add safeguard_copy, e.g. "Email privacy@… for a copy".` }]
          : [],
      ),
  },

  // --- Consent and marketing -------------------------------------------------------------------
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

  // --- Rights requests -------------------------------------------------------------------------
  {
    id: 'rights-channels-missing',
    severity: 'warning',
    description: 'No channel for making rights requests is declared.',
    fix: 'Add rights.channels, e.g. [{ type: email, address: privacy@… }].',
    check: ({ policy }) =>
      policy.rights.channels.length > 0
        ? []
        : [{ path: ['rights', 'channels'], message: 'The declaration does not say how people can exercise their rights (access, erasure, objection …); the notice should tell them where to write. Add rights.channels, e.g. - { type: email, address: privacy@example.co.uk }.' }],
  },
  {
    id: 'rights-channel-address-missing',
    severity: 'warning',
    description: 'A rights request channel has no address and the organisation contact gives none either.',
    fix: 'Add address to the channel: the email address, phone number, postal address or form URL.',
    check: ({ policy }) => {
      const c = policy.organisation.contact;
      const entity = controllerEntity(policy);
      const fallback: Record<string, unknown> = {
        email: c.email,
        phone: c.phone,
        post: c.address ?? entity?.registered_address ?? entity?.trading_address,
        'web-form': c.contact_form ?? c.web,
        'in-person': c.address ?? entity?.trading_address ?? entity?.registered_address,
      };
      return policy.rights.channels.flatMap((ch, i) =>
        ch.address || fallback[ch.type]
          ? []
          : [{ path: ['rights', 'channels', i], message: `People are told they can make requests by ${ch.type}, but no ${ch.type === 'web-form' ? 'form address' : `${ch.type} address`} is given here or in organisation.contact. Add address to this channel.` }],
      );
    },
  },
  {
    id: 'identity-required-exceeds-accepted',
    severity: 'error',
    description: 'More pieces of identity evidence are required than kinds are accepted.',
    fix: 'Lower rights.identity.required or accept more kinds of evidence.',
    check: ({ policy }) => {
      const id = policy.rights.identity;
      return id && id.required !== undefined && id.required > id.accepted.length
        ? [{ path: ['rights', 'identity', 'required'], message: `Requesters must show ${String(id.required)} pieces of identity evidence, but only ${String(id.accepted.length)} kind${id.accepted.length === 1 ? ' is' : 's are'} accepted, so no one could ever pass. Lower required or add to accepted. Ask only for what is proportionate.` }]
        : [];
    },
  },
  {
    id: 'identity-evidence-unspecified',
    severity: 'info',
    description: 'Proof of identity is asked for without saying which evidence is accepted or how much is needed.',
    fix: 'Add rights.identity.accepted (e.g. [passport, driving-licence, utility-bill]) and rights.identity.required (how many).',
    check: ({ policy }) => {
      const id = policy.rights.identity;
      if (!id) return [];
      // More required than accepted is identity-required-exceeds-accepted, an error.
      if (id.required !== undefined && id.required > id.accepted.length) return [];
      const noKinds = id.accepted.length === 0;
      const noCount = id.required === undefined;
      if (!noKinds && !noCount) return [];
      const what = noKinds && noCount ? 'which kinds of evidence are accepted, nor how many pieces are needed' : noKinds ? 'which kinds of evidence are accepted' : 'how many pieces of evidence are needed';
      const add = [noKinds && 'accepted (e.g. [passport, driving-licence, utility-bill])', noCount && 'required (how many pieces)'].filter((a): a is string => Boolean(a));
      return [
        {
          path: ['rights', 'identity'],
          message: `rights.identity says proof of identity is asked for, but not ${what}, so the notice cannot tell people what to send. They then cannot send the right evidence with their request, which delays the answer: the response period starts only when the evidence arrives. This is allowed, but say what you ask for, and ask only for what is proportionate. Add ${add.join(' and ')} under rights.identity.`,
        },
      ];
    },
  },
  {
    id: 'response-period-28-days',
    severity: 'info',
    description: 'Rights requests are answered in a fixed 28 days (allowed; shorter than the statutory month).',
    fix: 'Nothing to fix; use calendar-month if you want the full statutory period.',
    check: ({ policy }) =>
      policy.rights.response_period === '28-days'
        ? [{ path: ['rights', 'response_period'], message: 'Requests are answered within a fixed 28 days. The ICO allows this, and it is never longer than the statutory one calendar month, but it is up to three days shorter; Steward will compute deadlines on 28 days.' }]
        : [],
  },
  {
    id: 'age-of-digital-consent',
    severity: 'warning',
    description: 'The age of digital consent is not 13, the UK age.',
    fix: 'Set rights.age_of_digital_consent: 13 unless you deliberately require parental consent for older children.',
    check: ({ policy }) => {
      const age = policy.rights.age_of_digital_consent;
      if (age === 13) return [];
      const message =
        age > 13
          ? `The age of digital consent is set to ${String(age)}, but in the UK it is 13 (Data Protection Act 2018 s9); ${String(age)} is the EU default. With ${String(age)} you would ask parents to consent for children aged 13 to ${String(age - 1)} who can consent for themselves. Set 13, unless you deliberately want the stricter rule.`
          : `The age of digital consent is set to ${String(age)}, below the UK age of 13 (Data Protection Act 2018 s9): children under 13 cannot consent themselves to online services. Set 13.`;
      return [{ path: ['rights', 'age_of_digital_consent'], message }];
    },
  },

  // --- Cookies and security ---------------------------------------------------------------------
  {
    id: 'cookie-duration-missing',
    severity: 'info',
    description: 'A cookie does not say how long it lasts.',
    fix: 'Add duration, e.g. session, "13 months".',
    check: ({ policy }) =>
      policy.cookies.flatMap((c, i) =>
        c.duration ? [] : [{ path: ['cookies', i, 'duration'], message: `The cookie ${q(c.name)} does not say how long it lasts; the ICO expects the cookie information to give each cookie's duration. Add duration, e.g. session or "13 months".` }],
      ),
  },
  {
    id: 'security-measures-missing',
    severity: 'info',
    description: 'No security measures are declared (for the Art 30 record of processing).',
    fix: 'List your main measures under security_measures, e.g. "Encryption at rest".',
    check: ({ policy }) =>
      policy.security_measures.length > 0
        ? []
        : [{ path: ['security_measures'], message: 'No security measures are listed. The record of processing should describe them where possible (Art 30(1)(g)). Add security_measures, e.g. "Data encrypted at rest", "Access limited by role".' }],
  },
  // --- Processors, transfers and assessments (Arts 28, 35, 46): src/policy/accountability.lint.ts
  ...ACCOUNTABILITY_RULES,
  // --- Retention promises the declaration defeats: src/promises/promises.lint.ts
  ...PROMISE_RULES,
  // --- The law as amended by the Data (Use and Access) Act 2025, and notice precision: policy.lint.2025.ts
  ...LINT_RULES_2025,
  // --- Fields inside categories: src/policy/fields.lint.ts
  ...FIELD_RULES,
];

// ---------------------------------------------------------------------------------------------
// Running the rules
// ---------------------------------------------------------------------------------------------

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function lintContext(policy: Policy, today: string = new Date().toISOString().slice(0, 10)): LintContext {
  const byId = <T extends { id: string }>(items: readonly T[]): ReadonlyMap<string, T> => new Map(items.map((x) => [x.id, x]));
  return {
    policy,
    today,
    relationships: byId(policy.relationships),
    categories: byId(policy.data_categories),
    sources: byId(policy.sources),
    recipients: byId(policy.recipients),
    retention: byId(policy.retention),
  };
}

/** Findings sorted by severity (errors first), then by position in the file. */
export function lintPolicy(loaded: LoadedPolicy, opts: { today?: string } = {}): Finding[] {
  const ctx = lintContext(loaded.policy, opts.today);
  const findings = LINT_RULES.flatMap((rule) =>
    rule.check(ctx).map((hit): Finding => {
      const at = loaded.locate(hit.path);
      return { rule: rule.id, severity: rule.severity, path: formatPath(hit.path), ...(at ? { line: at.line, column: at.column } : {}), message: hit.message };
    }),
  );
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
}
