import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { UK_ADEQUATE_COUNTRIES } from './adequacy.js';
import { inSaleOrNegotiation } from './lint.marketing.js';
import type { Finding } from './lint.types.js';
import { LINT_RULES, lintPolicy } from './policy.lint.js';
import { parsePolicy } from './policy.loader.js';

const MINIMAL = readFileSync(new URL('../../test/fixtures/policy/minimal.yaml', import.meta.url), 'utf8');
const DOCS = readFileSync(new URL('../../docs/lint-rules.md', import.meta.url), 'utf8');

// The declaration as plain YAML data, mutated freely by the cases below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;
type Mutate = (d: Doc) => void;

/** Lints minimal.yaml after a change to its data. */
function lint(mutate?: Mutate): Finding[] {
  const doc: Doc = parse(MINIMAL);
  mutate?.(doc);
  return lintPolicy(parsePolicy(stringify(doc), 'test.yaml'), { today: LINT_TODAY });
}
/** A fixed "today" for the rules about a notice's age. */
const LINT_TODAY = '2026-12-01';

/** Lints a textual edit of minimal.yaml, so that line numbers are known. */
function lintText(edit: (text: string) => string): { text: string; findings: Finding[] } {
  const text = edit(MINIMAL);
  return { text, findings: lintPolicy(parsePolicy(text, 'test.yaml')) };
}

/** 1-based line and column of the first occurrence of needle. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: (before[before.length - 1]?.length ?? 0) + 1 };
}

const purpose = (d: Doc): Doc => d.purposes[0];
const processorRelationship = (d: Doc): void => {
  d.relationships[0].role = 'processor';
  d.relationships[0].on_behalf_of = 'Our client';
};
const addHealth = (d: Doc): void => {
  d.data_categories.push({ id: 'health', name: 'Health', special_category: 'health' });
  purpose(d).categories.push('health');
};
const courierIn = (countries: string[], extra: Record<string, unknown> = {}): Mutate => (d) => {
  Object.assign(d.recipients[0], { countries, ...extra });
};
/** A transfers entry; without countries unless given. */
const transfer = (extra: Record<string, unknown> = {}): Mutate => (d) => {
  d.transfers = [{ id: 'support-desk', description: 'Our support staff abroad can read support tickets.', ...extra }];
};
/** Makes the first purpose email marketing to customers on legitimate interests, under the soft opt-in. */
const softOptIn = (d: Doc): void => {
  Object.assign(purpose(d), {
    direct_marketing: true,
    channels: ['email'],
    lawful_basis: 'legitimate-interests',
    legitimate_interest: 'Telling our customers about similar products.',
    soft_opt_in: true,
  });
};

/**
 * For every rule: a change to minimal.yaml that triggers it, and a near miss that does not.
 * A test below fails if a rule in LINT_RULES has no entry here.
 */
const CASES: Record<string, { trigger: Mutate; clean: Mutate }> = {
  // --- Fields inside categories (lint.fields.ts) ---
  'category-identifier-deprecated': {
    trigger: (d) => Object.assign(d.data_categories[0], { identifier: 'email', fields: undefined }),
    clean: (d) => (d.data_categories[0].fields[1].identifier = true),
  },
  'category-fields-suggested': {
    trigger: (d) => delete d.data_categories[0].fields,
    clean: (d) => Object.assign(d.data_categories[1], { examples: ['orders', 'invoices', 'delivery notes'] }),
  },
  // --- The Data (Use and Access) Act 2025 and notice precision (lint.act-2025.ts) ---
  'complaints-channel-missing': {
    trigger: (d) => delete d.complaints,
    clean: (d) => (d.complaints = { channels: [{ type: 'web-form', address: 'https://example.co.uk/complaints' }] }),
  },
  'cookie-exemption-invalid': {
    trigger: (d) => d.cookies.push({ id: 'ads', name: '_ads', category: 'marketing', purpose: 'Advertising.', duration: '1 year', exemption: 'statistics' }),
    clean: (d) => {
      d.cookies.push({ id: 'stats', name: '_stats', category: 'analytics', purpose: 'Counting visits.', duration: '1 year', exemption: 'statistics', shared_with: ['courier'] });
      d.recipients[0].kind = 'processor';
      d.cookie_controls = { objection: 'Use the Object button in our cookie settings' };
    },
  },
  'charity-soft-opt-in-misused': {
    trigger: (d) => Object.assign(purpose(d), { direct_marketing: true, channels: ['email', 'phone'], charity_soft_opt_in: true }),
    clean: (d) => {
      d.organisation.charity = true;
      d.rights.consent = { withdrawal_channels: ['unsubscribe-link'] };
      Object.assign(purpose(d), { direct_marketing: true, channels: ['email'], charity_soft_opt_in: true });
    },
  },
  'notice-before-2025-act': {
    trigger: (d) => (d.notice.effective_date = '2018-05-23'),
    clean: (d) => (d.notice.effective_date = '2026-02-05'),
  },
  'notice-over-a-year-old': {
    trigger: (d) => (d.notice.effective_date = '2025-11-30'),
    clean: (d) => (d.notice.effective_date = '2025-12-01'),
  },
  'retention-criteria-vague': {
    trigger: (d) => (d.retention[0] = { id: d.retention[0].id, criteria: 'We keep your data for as long as necessary for the purposes for which it was collected.' }),
    clean: (d) => (d.retention[0] = { id: d.retention[0].id, criteria: 'As long as necessary, which is until your warranty ends.' }),
  },
  'legal-references-missing': {
    trigger: (d) => (d.notice.legal_references = []),
    clean: (d) => (d.notice.legal_references = ['UK GDPR']),
  },
  'controller-contact-missing': {
    trigger: (d) => (d.organisation.contact = {}),
    clean: (d) => (d.organisation.contact = { web: 'https://example.co.uk' }),
  },
  'controller-address-missing': {
    trigger: (d) => delete d.organisation.entities[0].registered_address,
    clean: (d) => {
      delete d.organisation.entities[0].registered_address;
      d.organisation.contact.address = '1 High Street, Exampleton EX1 1AA';
    },
  },
  'controller-not-named': {
    trigger: (d) => d.organisation.entities.push({ id: 'example-holdings', name: 'Example Holdings Ltd' }),
    clean: (d) => {
      d.organisation.entities.push({ id: 'example-holdings', name: 'Example Holdings Ltd' });
      d.organisation.controller = 'example-widgets-ltd';
    },
  },
  'privacy-contact-missing': {
    trigger: (d) => delete d.organisation.privacy_contact,
    clean: (d) => (d.organisation.privacy_contact = { kind: 'dpo', phone: '01234 567890' }),
  },
  'privacy-contact-unreachable': {
    trigger: (d) => (d.organisation.privacy_contact = { kind: 'dpo', title: 'IT Manager' }),
    clean: (d) => (d.organisation.privacy_contact = { kind: 'dpo', title: 'IT Manager', address: '1 High Street' }),
  },
  'complaint-authority-contact-missing': {
    trigger: (d) => (d.organisation.supervisory_authority = { name: 'ICO' }),
    clean: (d) => (d.organisation.supervisory_authority = { name: 'ICO', phone: '0303 123 1113' }),
  },
  'repealed-law-cited': {
    trigger: (d) => d.notice.legal_references.push('Data Protection Act 1998'),
    // PECR's title mentions an "EC Directive" but is in force.
    clean: (d) => d.notice.legal_references.push('Privacy and Electronic Communications (EC Directive) Regulations 2003'),
  },
  'eu-gdpr-only': {
    trigger: (d) => (d.notice.legal_references = ['EU General Data Protection Regulation (GDPR)']),
    clean: (d) => (d.notice.legal_references = ['EU General Data Protection Regulation (GDPR)', 'UK GDPR']),
  },
  'processor-client-missing': {
    trigger: (d) => d.relationships.push({ id: 'client-customer', name: "Clients' customers", role: 'processor' }),
    clean: (d) => d.relationships.push({ id: 'client-customer', name: "Clients' customers", role: 'processor', on_behalf_of: 'Our clients' }),
  },
  'processor-data-own-purpose': {
    trigger: (d) => {
      d.relationships.push({ id: 'client-customer', name: "Clients' customers", role: 'processor', on_behalf_of: 'Our clients' });
      purpose(d).relationships.push('client-customer');
    },
    clean: (d) => {
      d.relationships.push({ id: 'client-customer', name: "Clients' customers", role: 'processor', on_behalf_of: 'Our clients' });
      d.purposes.push({ ...purpose(d), id: 'for-clients', name: 'For clients', relationships: ['client-customer'] });
    },
  },
  'relationship-unused': {
    trigger: (d) => d.relationships.push({ id: 'supplier', name: 'Suppliers' }),
    clean: (d) => {
      d.relationships.push({ id: 'supplier', name: 'Suppliers' });
      purpose(d).relationships.push('supplier');
    },
  },
  'never-stored-category-used': {
    trigger: (d) => {
      d.data_categories.push({ id: 'card-number', name: 'Card number', storage: 'never' });
      purpose(d).categories.push('card-number');
    },
    // Declared so the register refuses it, but no purpose uses it.
    clean: (d) => d.data_categories.push({ id: 'card-number', name: 'Card number', storage: 'never' }),
  },
  'card-data-stored': {
    trigger: (d) => d.data_categories.push({ id: 'card', name: 'Payment card details' }),
    clean: (d) => d.data_categories.push({ id: 'card', name: 'Payment card details', storage: 'never' }),
  },
  'reference-holder-missing': {
    trigger: (d) => {
      d.data_categories.push({ id: 'payment-token', name: 'Payment token', storage: 'reference-only' });
      purpose(d).categories.push('payment-token');
    },
    clean: (d) => {
      d.data_categories.push({ id: 'payment-token', name: 'Payment token', storage: 'reference-only' });
      purpose(d).categories.push('payment-token');
      d.recipients[0].categories.push('payment-token');
    },
  },
  'restricted-roles-empty': {
    trigger: (d) => (d.data_categories[0].restricted_to_roles = []),
    clean: (d) => (d.data_categories[0].restricted_to_roles = ['dpo']),
  },
  'category-unused': {
    trigger: (d) => d.data_categories.push({ id: 'notes', name: 'Notes' }),
    clean: (d) => d.data_categories.push({ id: 'cvv', name: 'CVV', storage: 'never' }),
  },
  'lawful-basis-missing': {
    trigger: (d) => delete purpose(d).lawful_basis,
    // As a processor the client chooses the basis.
    clean: (d) => {
      delete purpose(d).lawful_basis;
      processorRelationship(d);
    },
  },
  'legitimate-interest-missing': {
    trigger: (d) => (purpose(d).lawful_basis = 'legitimate-interests'),
    clean: (d) => Object.assign(purpose(d), { lawful_basis: 'legitimate-interests', legitimate_interest: 'Keeping customers informed of deliveries.' }),
  },
  'recognised-interest-missing': {
    trigger: (d) => (purpose(d).lawful_basis = 'recognised-legitimate-interest'),
    clean: (d) => Object.assign(purpose(d), { lawful_basis: 'recognised-legitimate-interest', recognised_interest: 'crime' }),
  },
  'public-authority-legitimate-interests': {
    trigger: (d) => {
      d.organisation.public_authority = true;
      Object.assign(purpose(d), { lawful_basis: 'legitimate-interests', legitimate_interest: 'Deliveries.' });
    },
    clean: (d) => Object.assign(purpose(d), { lawful_basis: 'legitimate-interests', legitimate_interest: 'Deliveries.' }),
  },
  'special-condition-missing': {
    trigger: addHealth,
    clean: (d) => {
      addHealth(d);
      purpose(d).special_condition = 'legal-claims';
    },
  },
  'special-condition-unneeded': {
    trigger: (d) => (purpose(d).special_condition = 'legal-claims'),
    clean: (d) => {
      addHealth(d);
      purpose(d).special_condition = 'legal-claims';
    },
  },
  'schedule1-condition-missing': {
    trigger: (d) => {
      addHealth(d);
      purpose(d).special_condition = 'employment-social-security';
    },
    clean: (d) => {
      addHealth(d);
      Object.assign(purpose(d), { special_condition: 'employment-social-security', schedule1_condition: 'Sch 1 para 1 (employment)' });
    },
  },
  'criminal-offence-data': {
    trigger: (d) => {
      d.data_categories.push({ id: 'offences', name: 'Suspected fraud', criminal_offence: true });
      purpose(d).categories.push('offences');
    },
    clean: (d) => {
      d.data_categories.push({ id: 'offences', name: 'Suspected fraud', criminal_offence: true });
      purpose(d).categories.push('offences');
      purpose(d).schedule1_condition = 'Sch 1 para 10 (preventing or detecting unlawful acts)';
    },
  },
  'requirement-missing': {
    trigger: (d) => delete purpose(d).requirement,
    // Data obtained from someone else (Art 14) needs no statement of requirement.
    clean: (d) => {
      delete purpose(d).requirement;
      d.sources[0].kind = 'client';
    },
  },
  'sources-missing': {
    trigger: (d) => delete purpose(d).sources,
    clean: (d) => {
      delete purpose(d).sources;
      processorRelationship(d);
    },
  },
  'public-source-not-flagged': {
    trigger: (d) => (d.sources[0].kind = 'public-register'),
    clean: (d) => Object.assign(d.sources[0], { kind: 'public-register', publicly_accessible: true }),
  },
  'source-unused': {
    trigger: (d) => d.sources.push({ id: 'agency', name: 'Agency', kind: 'third-party' }),
    clean: (d) => {
      d.sources.push({ id: 'agency', name: 'Agency', kind: 'third-party' });
      purpose(d).sources.push('agency');
    },
  },
  'automated-decision-safeguards-missing': {
    trigger: (d) => (purpose(d).automated_decision = { logic: 'A score from order history.', consequences: 'Orders may be refused.' }),
    clean: (d) =>
      (purpose(d).automated_decision = { logic: 'A score from order history.', consequences: 'Orders may be refused.', safeguards: 'Ask us for a review by a person.' }),
  },
  'recipient-unused': {
    trigger: (d) => d.recipients.push({ id: 'analytics', name: 'Analytics Co', kind: 'processor', countries: ['GB'] }),
    clean: (d) => {
      d.recipients.push({ id: 'analytics', name: 'Analytics Co', kind: 'processor', countries: ['GB'] });
      d.cookies[0].recipient = 'analytics';
    },
  },
  'retention-missing': {
    trigger: (d) => delete purpose(d).retention,
    // Nothing is stored, so there is nothing to delete.
    clean: (d) => {
      delete purpose(d).retention;
      for (const c of d.data_categories) c.storage = 'never';
    },
  },
  'processor-retention-missing': {
    trigger: (d) => {
      processorRelationship(d);
      delete purpose(d).retention;
    },
    clean: processorRelationship,
  },
  'retention-trigger-missing': {
    trigger: (d) => delete d.retention[0].trigger,
    clean: (d) => {
      delete d.retention[0].trigger;
      d.retention[0].until = 'contract-ended';
    },
  },
  'retention-open-ended': {
    trigger: (d) => (d.retention[0] = { id: 'six-years-after-contract', trigger: 'contract-ended' }),
    clean: (d) => (d.retention[0] = { id: 'six-years-after-contract', trigger: 'contract-ended', criteria: 'As long as a claim could be brought.' }),
  },
  'retention-criteria-only': {
    trigger: (d) => (d.retention[0] = { id: 'six-years-after-contract', criteria: 'While we still need it.' }),
    clean: (d) => (d.retention[0] = { id: 'six-years-after-contract', criteria: 'While we still need it.', review_every: '3 years' }),
  },
  'retention-trigger-conflict': {
    trigger: (d) => (d.retention[0].until = 'account-closed'),
    clean: (d) => {
      delete d.retention[0].trigger;
      d.retention[0].until = 'account-closed';
    },
  },
  'retention-promise-defeated': {
    trigger: (d) => {
      d.retention.push({ id: 'ten-years', duration: '10 years', trigger: 'contract-ended' });
      d.purposes.push({ ...purpose(d), id: 'order-analysis', name: 'Analysing orders', retention: 'ten-years' });
    },
    clean: (d) => {
      d.retention.push({ id: 'ten-years', duration: '10 years', trigger: 'contract-ended' });
      d.purposes.push({ ...purpose(d), id: 'order-analysis', name: 'Analysing orders', retention: 'ten-years' });
      d.relationships[0].default_purposes = ['deliver-orders'];
    },
  },
  'retention-review-promise-defeated': {
    trigger: (d) => {
      d.retention.push({ id: 'reviewed', criteria: 'While we still deal with you.', review_every: '3 years' }, { id: 'judged', criteria: 'As long as we need it.' });
      purpose(d).retention = 'reviewed';
      d.purposes.push({ ...purpose(d), id: 'order-analysis', name: 'Analysing orders', retention: 'judged' });
    },
    clean: (d) => {
      d.retention.push({ id: 'reviewed', criteria: 'While we still deal with you.', review_every: '3 years' }, { id: 'judged', criteria: 'As long as we need it.' });
      purpose(d).retention = 'reviewed';
      d.purposes.push({ ...purpose(d), id: 'order-analysis', name: 'Analysing orders', retention: 'judged' });
      d.relationships[0].default_purposes = ['deliver-orders'];
    },
  },
  'retention-unused': {
    trigger: (d) => d.retention.push({ id: 'spare', duration: '1 year', trigger: 'collection' }),
    clean: (d) => {
      d.retention.push({ id: 'spare', duration: '1 year', trigger: 'collection' });
      d.purposes.push({ ...purpose(d), id: 'second', retention: 'spare' });
    },
  },
  'recipient-countries-missing': {
    trigger: (d) => delete d.recipients[0].countries,
    clean: courierIn(['IE']),
  },
  'transfer-countries-missing': {
    trigger: transfer(),
    clean: transfer({ countries: ['IE'] }),
  },
  'transfer-safeguard-missing': {
    trigger: courierIn(['US']),
    clean: courierIn(['US'], { safeguard: 'uk-us-data-bridge' }),
  },
  'transfer-safeguard-invalid': {
    trigger: courierIn(['US'], { safeguard: 'eu-us-privacy-shield' }),
    clean: courierIn(['US'], { safeguard: 'uk-us-data-bridge' }),
  },
  'adequacy-not-available': {
    trigger: courierIn(['US'], { safeguard: 'adequacy' }),
    clean: courierIn(['NZ'], { safeguard: 'adequacy' }),
  },
  'data-bridge-not-us': {
    trigger: courierIn(['US', 'IN'], { safeguard: 'uk-us-data-bridge' }),
    clean: courierIn(['US', 'GB'], { safeguard: 'uk-us-data-bridge' }),
  },
  'adequacy-partial': {
    trigger: courierIn(['CA']),
    clean: courierIn(['CA'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy lead for a copy.' }),
  },
  'transfer-safeguard-copy-missing': {
    trigger: courierIn(['IN'], { safeguard: 'idta' }),
    clean: courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy lead for a copy.' }),
  },
  'consent-withdrawal-missing': {
    trigger: (d) => (purpose(d).lawful_basis = 'consent'),
    clean: (d) => {
      purpose(d).lawful_basis = 'consent';
      d.rights.consent = { withdrawal_channels: ['email'] };
    },
  },
  'consent-renewal-without-validity': {
    trigger: (d) => (d.rights.consent = { renewal_notice: '1 month' }),
    clean: (d) => (d.rights.consent = { renewal_notice: '1 month', validity: '3 years' }),
  },
  'marketing-channels-missing': {
    trigger: (d) => (purpose(d).direct_marketing = true),
    clean: (d) => Object.assign(purpose(d), { direct_marketing: true, channels: ['post'] }),
  },
  'pecr-consent-needed': {
    trigger: (d) => Object.assign(purpose(d), { direct_marketing: true, channels: ['email'], lawful_basis: 'legitimate-interests', legitimate_interest: 'Selling more.' }),
    // Corporate subscribers may be emailed on legitimate interests.
    clean: (d) => {
      Object.assign(purpose(d), { direct_marketing: true, channels: ['email'], lawful_basis: 'legitimate-interests', legitimate_interest: 'Selling more.' });
      d.relationships[0].subscriber_types = ['corporate'];
    },
  },
  'soft-opt-in-misused': {
    // Not direct marketing at all.
    trigger: (d) => (purpose(d).soft_opt_in = true),
    clean: softOptIn,
  },
  'bought-in-consent': {
    trigger: (d) => {
      d.sources[0].kind = 'purchased-list';
      purpose(d).lawful_basis = 'consent';
    },
    clean: (d) => (d.sources[0].kind = 'purchased-list'),
  },
  'rights-channels-missing': {
    trigger: (d) => (d.rights.channels = []),
    clean: (d) => (d.rights.channels = [{ type: 'phone' }]),
  },
  'rights-channel-address-missing': {
    trigger: (d) => (d.rights.channels = [{ type: 'web-form' }]),
    // organisation.contact.email supplies the address.
    clean: (d) => (d.rights.channels = [{ type: 'email' }]),
  },
  'identity-required-exceeds-accepted': {
    trigger: (d) => (d.rights.identity = { required: 2, accepted: ['passport'] }),
    clean: (d) => (d.rights.identity = { required: 2, accepted: ['passport', 'driving-licence'] }),
  },
  'identity-evidence-unspecified': {
    trigger: (d) => (d.rights.identity = {}),
    clean: (d) => (d.rights.identity = { required: 1, accepted: ['passport', 'driving-licence'] }),
  },
  'response-period-28-days': {
    trigger: (d) => (d.rights.response_period = '28-days'),
    clean: (d) => (d.rights.response_period = 'calendar-month'),
  },
  'age-of-digital-consent': {
    trigger: (d) => (d.rights.age_of_digital_consent = 16),
    clean: (d) => (d.rights.age_of_digital_consent = 13),
  },
  'cookie-duration-missing': {
    trigger: (d) => delete d.cookies[0].duration,
    clean: (d) => (d.cookies[0].duration = '13 months'),
  },
  'security-measures-missing': {
    trigger: (d) => (d.security_measures = []),
    clean: (d) => (d.security_measures = ['Access limited by role']),
  },
  'processor-contract-missing': {
    trigger: (d) => delete d.recipients[0].agreement,
    clean: (d) => {
      delete d.recipients[0].agreement;
      d.recipients[0].contract = 'https://example.co.uk/dpa.pdf';
    },
  },
  'processor-terms-missing': {
    trigger: (d) => (d.recipients[0].agreement.terms = ['confidentiality', 'security']),
    clean: (d) => (d.recipients[0].kind = 'controller'),
  },
  'processor-assurance-missing': {
    trigger: (d) => delete d.recipients[0].assurance,
    clean: (d) => {
      delete d.recipients[0].assurance;
      d.recipients[0].is_category = true;
    },
  },
  'recipient-review-overdue': {
    trigger: (d) => (d.recipients[0].agreement.review = '2001-01-01'),
    clean: (d) => {
      delete d.recipients[0].agreement.review;
      d.recipients[0].review_date = '2099-06-30';
    },
  },
  'sub-processor-transfer-unsafeguarded': {
    trigger: (d) => (d.recipients[0].sub_processors = [{ name: 'Tracking Co', countries: ['IN'] }]),
    clean: (d) => (d.recipients[0].sub_processors = [{ name: 'Tracking Co', countries: ['US'], safeguard: 'uk-us-data-bridge' }, { name: 'Depot Ltd', countries: ['IE'] }]),
  },
  'transfer-assessment-missing': {
    trigger: courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy team for a copy.' }),
    clean: courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy team for a copy.', transfer_assessment: { date: '2026-03-01', outcome: 'met', reference: 'TRA-2026-01' } }),
  },
  'transfer-assessment-not-met': {
    trigger: courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask us.', transfer_assessment: { date: '2026-03-01', outcome: 'not-met', reference: 'TRA-2026-02' } }),
    clean: courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask us.', transfer_assessment: { date: '2026-03-01', outcome: 'met-with-measures', reference: 'TRA-2026-02' } }),
  },
  'dpia-required': {
    trigger: (d) => (purpose(d).dpia_screening = { tracking: true }),
    clean: (d) => {
      purpose(d).dpia_screening = { tracking: true };
      d.assessments = [{ id: 'dpia-delivery', kind: 'dpia', title: 'Delivery tracking', purposes: [purpose(d).id], date: '2026-01-10', outcome: 'Risks reduced by pseudonymising tracking data.' }];
    },
  },
  'dpia-advisable': {
    trigger: (d) => (purpose(d).dpia_screening = { large_scale: true }),
    clean: (d) => {
      purpose(d).dpia_screening = { large_scale: true };
      purpose(d).dpia = 'https://example.co.uk/dpia/delivery.pdf';
    },
  },
  'assessment-review-overdue': {
    trigger: (d) => (d.assessments = [{ id: 'lia-1', kind: 'lia', title: 'Delivery updates', purposes: [purpose(d).id], date: '2020-01-10', outcome: 'Balanced in our favour.', next_review: '2021-01-10' }]),
    clean: (d) => (d.assessments = [{ id: 'lia-1', kind: 'lia', title: 'Delivery updates', purposes: [purpose(d).id], date: '2020-01-10', outcome: 'Balanced in our favour.', next_review: '2099-01-10' }]),
  },
  'dpia-high-residual-risk': {
    trigger: (d) => (d.assessments = [{ id: 'dpia-1', kind: 'dpia', title: 'Call monitoring', purposes: [purpose(d).id], date: '2026-01-10', outcome: 'Proceed.', residual_risk: 'high' }]),
    clean: (d) => (d.assessments = [{ id: 'dpia-1', kind: 'dpia', title: 'Call monitoring', purposes: [purpose(d).id], date: '2026-01-10', outcome: 'Proceed.', residual_risk: 'medium' }]),
  },
};

describe('lintPolicy', () => {
  it('finds nothing in the minimal declaration', () => {
    expect(lint()).toEqual([]);
  });

  it('has a trigger and a near miss for every rule, and no case for a rule that does not exist', () => {
    expect(Object.keys(CASES).sort()).toEqual(LINT_RULES.map((r) => r.id).sort());
  });

  it('has unique kebab-case rule ids with a description and a fix', () => {
    const ids = LINT_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of LINT_RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });

  describe.each(LINT_RULES.map((r) => [r.id, r] as const))('%s', (id, rule) => {
    const c = CASES[id];
    it('fires on a declaration that breaks it, with its severity, a path and a position', () => {
      const hits = lint(c?.trigger).filter((f) => f.rule === id);
      expect(hits.length).toBeGreaterThan(0);
      for (const f of hits) {
        expect(f.severity).toBe(rule.severity);
        expect(f.path).not.toBe('');
        expect(f.line).toBeGreaterThan(0);
        expect(f.column).toBeGreaterThan(0);
        expect(f.message.length).toBeGreaterThan(40);
      }
    });
    it('stays quiet on a near miss', () => {
      expect(lint(c?.clean).filter((f) => f.rule === id)).toEqual([]);
    });
  });

  it('uses the severities the rules promise for the key checks', () => {
    const severity = Object.fromEntries(LINT_RULES.map((r) => [r.id, r.severity]));
    expect(severity).toMatchObject({
      'lawful-basis-missing': 'error',
      'special-condition-missing': 'error',
      'never-stored-category-used': 'error',
      'transfer-safeguard-invalid': 'error',
      'identity-required-exceeds-accepted': 'error',
      'identity-evidence-unspecified': 'info',
      'transfer-countries-missing': 'warning',
      'soft-opt-in-misused': 'error',
      'consent-withdrawal-missing': 'error',
      'age-of-digital-consent': 'warning',
      'repealed-law-cited': 'warning',
      'eu-gdpr-only': 'info',
      'response-period-28-days': 'info',
    });
  });

  it('points a missing lawful basis at its purpose', () => {
    const { text, findings } = lintText((t) => t.replace('    lawful_basis: contract\n', ''));
    const f = findings.find((x) => x.rule === 'lawful-basis-missing');
    expect(f).toMatchObject({ severity: 'error', path: 'purposes[0].lawful_basis' });
    const at = positionOf(text, 'id: deliver-orders');
    expect({ line: f?.line, column: f?.column }).toEqual(at);
  });

  it('points an invalid safeguard at the safeguard itself', () => {
    const { text, findings } = lintText((t) => t.replace('    countries: [GB]\n', '    countries: [US]\n    safeguard: eu-us-privacy-shield\n'));
    const f = findings.find((x) => x.rule === 'transfer-safeguard-invalid');
    expect(f).toMatchObject({ severity: 'error', path: 'recipients[0].safeguard' });
    expect({ line: f?.line, column: f?.column }).toEqual(positionOf(text, 'eu-us-privacy-shield'));
    expect(f?.message).toContain('16 July 2020');
  });

  it('points a repealed law at its entry in legal_references', () => {
    const { text, findings } = lintText((t) => t.replace('    - Data Protection Act 2018\n', '    - Data Protection Act 2018\n    - UK Data Protection Act 1998 (DPA)\n'));
    const f = findings.find((x) => x.rule === 'repealed-law-cited');
    expect(f).toMatchObject({ severity: 'warning', path: 'notice.legal_references[2]' });
    expect({ line: f?.line, column: f?.column }).toEqual(positionOf(text, 'UK Data Protection Act 1998'));
  });

  it('recognises each way organisations cite repealed law', () => {
    for (const ref of ['EU Data Protection Directive 1995 (DPD)', 'Directive 95/46/EC', 'DPA 1998', 'EU-US Privacy Shield', 'Safe Harbor']) {
      const hits = lint((d) => (d.notice.legal_references = ['UK GDPR', ref])).filter((f) => f.rule === 'repealed-law-cited');
      expect(hits, ref).toHaveLength(1);
    }
  });

  it('treats the EEA and the UK adequacy countries as safe and flags others', () => {
    for (const c of ['IE', 'DE', 'NO', 'CH', 'JE', 'IL', 'KR', 'UY', 'GI']) {
      expect(UK_ADEQUATE_COUNTRIES.has(c), c).toBe(true);
      expect(lint(courierIn([c])).filter((f) => f.rule === 'transfer-safeguard-missing'), c).toEqual([]);
    }
    for (const c of ['US', 'IN', 'CN', 'AU']) {
      expect(UK_ADEQUATE_COUNTRIES.has(c), c).toBe(false);
      expect(lint(courierIn([c], { safeguard: 'none' })).filter((f) => f.rule === 'transfer-safeguard-missing'), c).toHaveLength(1);
    }
  });

  it('reports the Privacy Shield even where no country is given', () => {
    const findings = lint((d) => {
      delete d.recipients[0].countries;
      d.recipients[0].safeguard = 'eu-us-privacy-shield';
    });
    expect(findings.filter((f) => f.rule === 'transfer-safeguard-invalid').map((f) => f.path)).toEqual(['recipients[0].safeguard']);
  });

  it('checks transfers entries as well as recipients', () => {
    const findings = lint((d) => (d.transfers = [{ id: 'support-desk', description: 'Support staff in India', countries: ['IN'] }]));
    expect(findings.find((f) => f.rule === 'transfer-safeguard-missing')).toMatchObject({ path: 'transfers[0].safeguard' });
  });

  it('takes a transfer\'s countries, safeguard and copy from its recipient when it gives none', () => {
    const findings = lint((d) => {
      courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy lead for a copy.' })(d);
      transfer({ recipient: 'courier' })(d);
    });
    // The transfer takes the courier's IDTA, so the missing data protection test is reported once, on the courier.
    expect(findings.map((f) => [f.rule, f.path])).toEqual([['transfer-assessment-missing', 'recipients[0].safeguard']]);
    const assessed = lint((d) => {
      courierIn(['IN'], { safeguard: 'idta', safeguard_copy: 'Ask our privacy lead for a copy.' })(d);
      transfer({ recipient: 'courier' })(d);
      d.assessments = [{ id: 'tra-courier', kind: 'transfer', title: 'Courier in India', recipients: ['courier'], date: '2026-02-01', outcome: 'Test met with encryption in transit.' }];
    });
    expect(assessed).toEqual([]);
    const unsafe = lint((d) => {
      courierIn(['IN'])(d);
      transfer({ recipient: 'courier' })(d);
    });
    expect(unsafe.filter((f) => f.rule === 'transfer-safeguard-missing').map((f) => f.path).sort()).toEqual(['recipients[0].safeguard', 'transfers[0].safeguard']);
    expect(unsafe.filter((f) => f.rule === 'transfer-countries-missing')).toEqual([]);
  });

  it('says when a transfer without countries names no safeguard either, and asks for a copy of a contractual one', () => {
    const bare = lint(transfer()).find((f) => f.rule === 'transfer-countries-missing');
    expect(bare).toMatchObject({ severity: 'warning', path: 'transfers[0].countries' });
    expect(bare?.message).toContain('No safeguard is named either');
    const idta = lint(transfer({ safeguard: 'idta' }));
    expect(idta.find((f) => f.rule === 'transfer-countries-missing')?.message).not.toContain('No safeguard');
    // Unknown countries are not assumed adequate: an IDTA needs a copy wherever the data goes.
    expect(idta.filter((f) => f.rule === 'transfer-safeguard-copy-missing').map((f) => f.path)).toEqual(['transfers[0].safeguard_copy']);
    // Countries unknown, so neither a missing safeguard nor adequacy can be judged.
    expect(lint(transfer({ safeguard: 'adequacy' })).filter((f) => f.rule === 'adequacy-not-available' || f.rule === 'transfer-safeguard-missing')).toEqual([]);
  });

  it('does not ask a recipient for a safeguard copy that a transfers entry naming it gives', () => {
    const viaTransfer = lint((d) => {
      courierIn(['IN'], { safeguard: 'idta' })(d);
      transfer({ recipient: 'courier', countries: ['IN'], safeguard: 'idta', safeguard_copy: 'Email privacy@example.co.uk for a copy of the IDTA.' })(d);
    });
    expect(viaTransfer.filter((f) => f.rule === 'transfer-safeguard-copy-missing')).toEqual([]);
    // A transfers entry about another recipient does not help.
    const other = lint((d) => {
      courierIn(['IN'], { safeguard: 'idta' })(d);
      d.recipients.push({ id: 'helpdesk', name: 'Helpdesk Co', kind: 'processor', countries: ['IN'], safeguard: 'idta' });
      purpose(d).recipients.push('helpdesk');
      transfer({ recipient: 'helpdesk', countries: ['IN'], safeguard: 'idta', safeguard_copy: 'Ask us.' })(d);
    });
    expect(other.filter((f) => f.rule === 'transfer-safeguard-copy-missing').map((f) => f.path)).toEqual(['recipients[0].safeguard_copy']);
  });

  it('does not ask for consent where the soft opt-in is declared', () => {
    const softOptInOff = (d: Doc): void => {
      softOptIn(d);
      purpose(d).soft_opt_in = false;
    };
    expect(lint(softOptInOff).filter((f) => f.rule === 'pecr-consent-needed')).toHaveLength(1);
    expect(lint(softOptIn).filter((f) => f.rule === 'pecr-consent-needed' || f.rule === 'soft-opt-in-misused')).toEqual([]);
  });

  it('says why a soft opt-in is misused', () => {
    const message = (mutate: Mutate): string => {
      const hits = lint(mutate).filter((f) => f.rule === 'soft-opt-in-misused');
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ severity: 'error', path: 'purposes[0].soft_opt_in' });
      return hits[0]?.message ?? '';
    };
    expect(message((d) => (purpose(d).soft_opt_in = true))).toContain('not direct marketing');
    expect(
      message((d) => {
        softOptIn(d);
        purpose(d).lawful_basis = 'consent';
        d.rights.consent = { withdrawal_channels: ['email'] };
      }),
    ).toContain('relies on consent');
    expect(
      message((d) => {
        softOptIn(d);
        d.relationships[0] = { id: 'supplier', name: 'Suppliers' };
        purpose(d).relationships = ['supplier'];
      }),
    ).toContain('none of its relationships ("Suppliers")');
    expect(
      message((d) => {
        softOptIn(d);
        d.sources[0].kind = 'purchased-list';
      }),
    ).toContain('a bought list');
  });

  it('recognises relationships where details come from a sale or negotiation', () => {
    const rel = (id: string, name: string, role: 'controller' | 'processor' = 'controller') => ({ id, name, role, description: undefined, on_behalf_of: undefined, subscriber_types: undefined });
    for (const [id, name] of [
      ['customer', 'Customers'],
      ['client', 'Our clients'],
      ['buyers', 'People who bought from us'],
      ['enquirer', 'Enquirers'],
      ['prospect', 'Prospective customers'],
      ['trade', 'Trade purchasers'],
    ] as const) {
      expect(inSaleOrNegotiation(rel(id, name)), name).toBe(true);
    }
    for (const [id, name] of [
      ['supplier', 'Suppliers'],
      ['candidate', 'Job applicants'],
      ['non-customer', 'Non-customers (survey entrants)'],
      ['website-visitor', 'Website visitors'],
    ] as const) {
      expect(inSaleOrNegotiation(rel(id, name)), name).toBe(false);
    }
    // Data held for a client is the client's: its customers are not ours to market to.
    expect(inSaleOrNegotiation(rel('client-customer', "Our clients' customers", 'processor'))).toBe(false);
  });

  it('reports identity evidence left unspecified, but not on top of an impossible requirement', () => {
    const only = (identity: unknown): Finding[] => lint((d) => (d.rights.identity = identity)).filter((f) => f.rule.startsWith('identity-'));
    expect(only({}).map((f) => [f.rule, f.path])).toEqual([['identity-evidence-unspecified', 'rights.identity']]);
    expect(only({}).map((f) => f.message).join()).toMatch(/which kinds of evidence are accepted, nor how many/);
    expect(only({ accepted: ['passport'] }).map((f) => f.message).join()).toMatch(/not how many pieces of evidence are needed/);
    expect(only({ required: 0 }).map((f) => f.message).join()).toMatch(/not which kinds of evidence are accepted\b/);
    expect(only({ required: 2, accepted: [] }).map((f) => f.rule)).toEqual(['identity-required-exceeds-accepted']);
    expect(only({ required: 1, accepted: ['passport'] })).toEqual([]);
  });

  it('exempts processor-only purposes from the never-stored check, as the data stays with the client', () => {
    const findings = lint((d) => {
      d.data_categories.push({ id: 'device-contents', name: 'Data on your device', storage: 'never' });
      d.relationships.push({ id: 'device-user', name: 'People on client devices', role: 'processor', on_behalf_of: 'The client' });
      d.purposes.push({ id: 'repair', name: 'Repair', relationships: ['device-user'], categories: ['device-contents'] });
    });
    expect(findings).toEqual([]);
  });

  it('warns about an age below 13 too, in different words', () => {
    const f = lint((d) => (d.rights.age_of_digital_consent = 12)).find((x) => x.rule === 'age-of-digital-consent');
    expect(f?.message).toContain('below the UK age of 13');
  });

  it('sorts by severity, then by line', () => {
    const findings = lint((d) => {
      d.rights.response_period = '28-days'; // info, late in the file
      d.notice.legal_references = ['EU GDPR', 'Data Protection Act 1998']; // info and warning, early
      delete purpose(d).lawful_basis; // error, middle
      d.rights.age_of_digital_consent = 16; // warning, late
    });
    const order = { error: 0, warning: 1, info: 2 } as const;
    for (let i = 1; i < findings.length; i++) {
      const a = findings[i - 1] as Finding;
      const b = findings[i] as Finding;
      expect(order[a.severity] < order[b.severity] || (a.severity === b.severity && (a.line ?? 0) <= (b.line ?? 0))).toBe(true);
    }
    expect(findings.map((f) => f.rule)).toEqual(['lawful-basis-missing', 'repealed-law-cited', 'age-of-digital-consent', 'eu-gdpr-only', 'response-period-28-days']);
  });

  it('documents every rule in docs/lint-rules.md', () => {
    for (const r of LINT_RULES) {
      expect(DOCS, r.id).toMatch(new RegExp(`\\|\\s*\`${r.id}\`\\s*\\|\\s*${r.severity}\\s*\\|`));
    }
  });
});
