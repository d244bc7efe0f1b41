/**
 * The notice's wording: what each value of the declaration's closed lists says to people, and the
 * sentences built from a single declared entry (a lawful basis, a retention rule, a requirement).
 *
 * Exported because the record of processing (ropa.ts) and the access pack state the same facts,
 * and must state them in the same words as the published notice.
 */
import type { Entity, Policy, Purpose, Recipient, RetentionRule } from './policy.schema.js';
import { durationPattern } from './schema.common.js';
import type { SOURCE_KINDS, SPECIAL_CATEGORIES } from './schema.data.js';
import { ART9_CONDITIONS, type Art9Condition, LAWFUL_BASIS_ARTICLE, type LawfulBasis, type RECOGNISED_INTERESTS } from './schema.purposes.js';
import type { TRIGGERS } from './schema.retention.js';
import type { IDENTITY_EVIDENCE } from './schema.rights.js';
import { capitalise, clean, endSentence, joinAnd, joinOr, lowerFirst } from './notice.text.js';

type Trigger = (typeof TRIGGERS)[number];
type SpecialCategory = (typeof SPECIAL_CATEGORIES)[number];
type RecognisedInterest = (typeof RECOGNISED_INTERESTS)[number];
type SourceKind = (typeof SOURCE_KINDS)[number];
type IdentityEvidence = (typeof IDENTITY_EVIDENCE)[number];

export const LAWFUL_BASIS_TEXT: Record<LawfulBasis, { title: string; explanation: string }> = {
  consent: { title: 'Consent', explanation: 'you have given us your consent to use your data for this, and you can withdraw it at any time' },
  contract: {
    title: 'Contract',
    explanation: 'we need it to carry out our contract with you, or to take steps you have asked for before entering into one',
  },
  'legal-obligation': { title: 'Legal obligation', explanation: 'the law requires us to use it' },
  'vital-interests': { title: 'Vital interests', explanation: "we need it to protect your life, or someone else's" },
  'public-task': { title: 'Public task', explanation: 'we need it to carry out a task in the public interest or our official functions' },
  'recognised-legitimate-interest': {
    title: 'Recognised legitimate interest',
    explanation: 'it is necessary for one of the legitimate interests that the law itself recognises, listed in Annex 1 of UK GDPR',
  },
  'legitimate-interests': {
    title: 'Legitimate interests',
    explanation: "it is necessary for our legitimate interests (or a third party's), and your interests and rights do not override them",
  },
};

/** "Legitimate interests (Art 6(1)(f) UK GDPR)". */
export const lawfulBasisLabel = (basis: LawfulBasis): string => `${LAWFUL_BASIS_TEXT[basis].title} (${LAWFUL_BASIS_ARTICLE[basis]} UK GDPR)`;

/** Annex 1 UK GDPR, as inserted by the Data (Use and Access) Act 2025. */
export const RECOGNISED_INTEREST_TEXT: Record<RecognisedInterest, string> = {
  'disclosure-to-public-body': 'giving information to a public body that has asked for it to carry out its public tasks',
  'national-security-defence': 'safeguarding national security, protecting public security, or defence',
  emergencies: 'responding to an emergency',
  crime: 'detecting, investigating or preventing crime, or catching or prosecuting offenders',
  safeguarding: 'safeguarding children and other vulnerable people',
};

export const ART9_TEXT: Record<Art9Condition, string> = {
  'explicit-consent': 'you have given your explicit consent',
  'employment-social-security': 'we need it to meet our obligations or use our rights under employment, social security or social protection law',
  'vital-interests': "we need it to protect your life or someone else's, and you cannot give consent",
  'not-for-profit-body': 'we are a not-for-profit body and it concerns our members or people in regular contact with us',
  'made-public-by-subject': 'you have clearly made the information public yourself',
  'legal-claims': 'we need it to establish, exercise or defend legal claims',
  'substantial-public-interest': 'it is necessary for reasons of substantial public interest set out in law',
  'health-or-social-care': 'it is needed to provide health or social care',
  'public-health': 'it is needed for reasons of public health',
  'archiving-research-statistics': 'it is needed for archiving in the public interest, research or statistics, with safeguards',
};

/** "Art 9(2)(a) UK GDPR: you have given your explicit consent". */
export const art9Label = (condition: Art9Condition): string => `${ART9_CONDITIONS[condition]} UK GDPR: ${ART9_TEXT[condition]}`;

export const SPECIAL_CATEGORY_TEXT: Record<SpecialCategory, string> = {
  'racial-or-ethnic-origin': 'racial or ethnic origin',
  'political-opinions': 'political opinions',
  'religious-or-philosophical-beliefs': 'religious or philosophical beliefs',
  'trade-union-membership': 'trade union membership',
  genetic: 'genetic data',
  biometric: 'biometric data used to identify you',
  health: 'health',
  'sex-life-or-orientation': 'sex life or sexual orientation',
};

export const SOURCE_KIND_TEXT: Record<SourceKind, string> = {
  'data-subject': 'you, directly',
  generated: 'created by us when you use our services',
  client: 'one of our clients',
  employer: 'your employer',
  'purchased-list': 'a list we bought',
  'public-register': 'a public register',
  'public-source': 'a public source',
  exhibition: 'an exhibition or event',
  introducer: 'someone who introduced you to us',
  'recruitment-agency': 'a recruitment agency',
  'credit-reference-agency': 'a credit reference agency',
  'third-party': 'another organisation',
};

export const RECIPIENT_KIND_TEXT: Record<Recipient['kind'], string> = {
  processor: 'Service provider acting on our instructions',
  controller: 'Organisation that decides for itself how to use the data',
  'joint-controller': 'Organisation that decides jointly with us how the data is used',
  'public-authority': 'Public authority',
  'group-company': 'Company in our group',
};

const AFTER: Record<Trigger, string> = {
  collection: 'after we collect it',
  'last-contact': 'after we were last in touch with you',
  'contract-ended': 'after your contract with us ends',
  'account-closed': 'after your account is closed',
  enquiry: 'after your enquiry',
  'recruitment-concluded': 'after the recruitment process ends',
  'recording-made': 'after the recording is made',
  'consent-given': 'after you give your consent',
  'consent-withdrawn': 'after you withdraw your consent',
  'relationship-ended': 'after your relationship with us ends',
  'device-returned': 'after your device is returned',
  'service-ended': 'after the service ends',
  'handed-to-client': 'after we have handed it over to our client',
};

const UNTIL: Record<Trigger, string> = {
  collection: 'only while we collect it',
  'last-contact': 'until we were last in touch with you',
  'contract-ended': 'until your contract with us ends',
  'account-closed': 'until your account is closed',
  enquiry: 'until we have dealt with your enquiry',
  'recruitment-concluded': 'until the recruitment process ends',
  'recording-made': 'until the recording is made',
  'consent-given': 'until you give your consent',
  'consent-withdrawn': 'until you withdraw your consent',
  'relationship-ended': 'until your relationship with us ends',
  'device-returned': 'until your device is returned',
  'service-ended': 'until the service ends',
  'handed-to-client': 'until we have handed it over to our client',
};

const UNLESS_TEXT: Record<NonNullable<RetentionRule['unless']>[number], string> = {
  'marketing-consent': 'you opted in to marketing',
  'legal-hold': 'we need to keep it for a legal claim or an investigation',
  'open-contract': 'you still have an open contract with us',
};

const LEGAL_EXCEPTION_TEXT: Record<NonNullable<RetentionRule['legal_exceptions']>[number], string> = {
  'legal-obligation': 'the law requires us to',
  'legal-claims': 'we need it for a legal claim',
  regulatory: 'a regulator requires us to',
  'public-interest': 'it is needed in the public interest',
};

const UNIT_NAMES = { Y: 'year', M: 'month', W: 'week', D: 'day' } as const;

/** "6 years", "P1Y6M" → "1 year and 6 months", "1 months" → "1 month". */
export function formatDuration(value: string): string {
  const m = durationPattern.exec(value.trim());
  if (!m) return value;
  const parts: Array<[number, string]> = [];
  if (m[1] !== undefined && m[2] !== undefined) {
    parts.push([Number(m[1]), m[2].replace(/s$/, '')]);
  } else {
    (['Y', 'M', 'W', 'D'] as const).forEach((unit, i) => {
      const n = m[3 + i];
      if (n !== undefined) parts.push([Number(n), UNIT_NAMES[unit]]);
    });
  }
  return joinAnd(parts.map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`));
}

/**
 * The retention promise in plain words, computed from the rule Steward enforces, e.g.
 * "6 years after your account is closed, then deleted." or
 * "3 months after your enquiry, then deleted unless you opted in to marketing."
 */
export function retentionText(rule: RetentionRule | undefined): string {
  if (!rule) return 'We have not set a fixed period for this; ask us and we will tell you how long we keep it.';
  const done =
    rule.action === 'anonymise'
      ? `anonymised so that it no longer identifies you${
          rule.statistical_fields?.length ? ` (we keep only ${joinAnd(rule.statistical_fields)}, for statistics)` : ''
        }`
      : 'deleted';
  const unless = rule.unless?.length ? ` unless ${joinOr(rule.unless.map((u) => UNLESS_TEXT[u]))}` : '';
  const criteria = rule.criteria ? clean(rule.criteria).replace(/[.;]+$/, '') : undefined;
  let period: string | undefined;
  if (rule.until && rule.duration) period = `${UNTIL[rule.until]}, then for a further ${formatDuration(rule.duration)}`;
  else if (rule.until) period = UNTIL[rule.until];
  else if (rule.duration) period = `${formatDuration(rule.duration)} ${AFTER[rule.trigger ?? 'collection']}`;
  else if (rule.trigger && criteria) {
    // A starting event but no fixed period: the criteria decide how long after it.
    period = `kept ${AFTER[rule.trigger]} only as long as we need it`;
  } else if (rule.trigger) period = UNTIL[rule.trigger];

  const sentences: string[] = [];
  if (period) {
    sentences.push(`${capitalise(period)}, then ${done}${unless}.`);
    if (rule.review_every) sentences.push(`We also review it every ${formatDuration(rule.review_every)} and remove what we no longer need.`);
  } else if (rule.review_every) {
    sentences.push(`Reviewed every ${formatDuration(rule.review_every)}, and ${done} once we no longer need it${unless}.`);
  } else {
    sentences.push(`Kept only as long as we need it, then ${done}${unless}.`);
  }
  if (criteria) sentences.push(`How we decide: ${lowerFirst(criteria)}.`);
  if (rule.legal_exceptions?.length) {
    sentences.push(`We may keep it longer where ${joinOr(rule.legal_exceptions.map((e) => LEGAL_EXCEPTION_TEXT[e]))}.`);
  }
  if (rule.description) sentences.push(clean(rule.description));
  return sentences.map(endSentence).join(' ');
}

export type RightKey =
  | 'access'
  | 'rectification'
  | 'erasure'
  | 'restriction'
  | 'objection'
  | 'portability'
  | 'withdraw-consent'
  | 'object-to-marketing'
  | 'human-review';

export const RIGHT_LABEL: Record<RightKey, string> = {
  access: 'Access',
  rectification: 'Rectification',
  erasure: 'Erasure',
  restriction: 'Restriction',
  objection: 'Objection',
  portability: 'Data portability',
  'withdraw-consent': 'Withdraw consent',
  'object-to-marketing': 'Object to direct marketing',
  'human-review': 'Human review of automated decisions',
};

export const REGISTERED_IN_TEXT: Record<NonNullable<Entity['registered_in']>, string> = {
  'england-and-wales': 'England and Wales',
  scotland: 'Scotland',
  'northern-ireland': 'Northern Ireland',
  other: 'outside the UK',
};

export const IDENTITY_TEXT: Record<IdentityEvidence, string> = {
  passport: 'passport',
  'driving-licence': 'driving licence',
  'birth-certificate': 'birth certificate',
  'utility-bill': 'recent utility bill',
  'bank-statement': 'recent bank statement',
  'mortgage-statement': 'mortgage statement',
  'council-tax-statement': 'council tax statement',
  'national-identity-card': 'national identity card',
  'account-details': 'details of your account with us',
  'email-control': 'a reply from the email address we hold for you',
};

export const NUMBER_WORDS = ['none', 'one', 'two', 'three', 'four', 'five'] as const;

const REQUIREMENT_TEXT: Record<NonNullable<Purpose['requirement']>['kind'], string> = {
  statutory: 'The law requires you to give us this information.',
  contractual: 'Our contract with you requires you to give us this information.',
  'contract-prerequisite': 'We need this information before we can enter into a contract with you.',
  optional: 'Giving us this information is up to you.',
};

export const COOKIE_CATEGORY_TEXT: Record<Policy['cookies'][number]['category'], { heading: string; explanation: string }> = {
  'strictly-necessary': {
    heading: 'Strictly necessary',
    explanation: 'These are needed for the website to work, so they do not need your consent.',
  },
  functional: { heading: 'Functional', explanation: 'These remember your choices. We use them only if you agree.' },
  analytics: { heading: 'Analytics', explanation: 'These help us understand how the website is used. We use them only if you agree.' },
  marketing: { heading: 'Marketing', explanation: 'These help us measure and target advertising. We use them only if you agree.' },
};

export const TECHNOLOGY_TEXT: Record<Policy['cookies'][number]['technology'], string> = {
  cookie: 'Cookie',
  'local-storage': 'Local storage',
  pixel: 'Pixel',
  script: 'Script',
  fingerprint: 'Device fingerprint',
};

export const CHANNEL_TEXT: Record<NonNullable<Purpose['channels']>[number], string> = {
  email: 'email',
  phone: 'phone',
  sms: 'text message',
  post: 'post',
  social: 'social media',
  'in-person': 'in person',
  web: 'our website',
};

export function requirementText(r: NonNullable<Purpose['requirement']>): string {
  const consequence = r.consequence
    ? `If you do not give it, ${lowerFirst(clean(r.consequence))}`
    : r.kind === 'optional'
      ? ''
      : 'If you do not give it, we may not be able to do this.';
  return [REQUIREMENT_TEXT[r.kind], consequence].filter(Boolean).map(endSentence).join(' ');
}

/**
 * PECR reg 22(3), the soft opt-in: what people must be told when their details are collected,
 * and what every message repeats (a simple, free way to opt out).
 */
export function softOptInText(p: Purpose): string {
  const electronic = (p.channels ?? []).filter((c) => c === 'email' || c === 'sms');
  const how = electronic.length === 1 ? (electronic[0] === 'sms' ? 'text' : 'email') : 'email or text';
  const message = how === 'email' ? 'email' : how === 'text' ? 'text message' : 'email and text message';
  return `As an existing customer, or someone who has asked us about buying from us, we may ${how} you about our own products and services that are similar to those you bought or asked about, without asking for your consent first. You can opt out at any time, free of charge (other than the cost of sending your message): every ${message} we send tells you how, and you can also contact us.`;
}
