/**
 * The privacy notice as a plain structured model, built from the declaration.
 *
 * The notice is what UK GDPR Arts 13 and 14 require an organisation to tell people. Building it
 * from the same declaration that Steward enforces means the published promises and the behaviour
 * cannot drift apart. This module decides the content and the wording; notice.render.ts only turns
 * the model into HTML or Markdown and does all the escaping. Every string here may come from the
 * declaration, which is user input: nothing in the model is markup.
 *
 * The wording helpers (lawful bases, retention rules, rights per basis) are exported because the
 * record of processing (ropa.ts) states the same facts for the regulator.
 */
import type { LoadedPolicy } from './policy.loader.js';
import {
  ART9_CONDITIONS,
  LAWFUL_BASIS_ARTICLE,
  SAFEGUARD_LABEL,
  durationPattern,
  type Address,
  type Art9Condition,
  type Contact,
  type DataCategory,
  type Entity,
  type LawfulBasis,
  type Policy,
  type Purpose,
  type RECOGNISED_INTERESTS,
  type Recipient,
  type RetentionRule,
  type SPECIAL_CATEGORIES,
  type SOURCE_KINDS,
  type Safeguard,
  type TRIGGERS,
  type IDENTITY_EVIDENCE,
} from './policy.schema.js';

// ---------------------------------------------------------------------------------------------
// The model

export interface Link {
  text: string;
  href: string;
}
export interface Strong {
  strong: string;
}
/**
 * A fact the notice needs that the declaration does not state: rendered visibly ("Not stated: …")
 * instead of a guess, so a draft shows what is missing rather than promising it.
 */
export interface Missing {
  missing: string;
}
/** A run of inline text. Plain strings are text, never markup. */
export type Span = string | Link | Strong | Missing;
export type Rich = string | readonly Span[];

export type Block =
  | { type: 'paragraph'; text: Rich }
  | { type: 'list'; items: Rich[] }
  /** Labelled facts: a definition list in HTML, "**Label:** value" bullets in Markdown. */
  | { type: 'fields'; items: Array<{ label: string; value: Rich }> }
  | { type: 'table'; caption: string; columns: string[]; rows: Rich[][] };

export interface NoticeSection {
  /** Anchor id: lower-case letters, digits and dashes. */
  id: string;
  heading: string;
  /** The provisions this section answers, e.g. "Art 13(1)(a)": for the linter and the tests. */
  covers: string[];
  blocks: Block[];
  subsections: NoticeSection[];
}

export interface NoticeVersion {
  /** YYYY-MM-DD, as declared. */
  effectiveDate: string;
  /** "1 March 2026". */
  effectiveDateText: string;
  /** The declaration's full sha256. */
  hash: string;
  /** The first 12 hex characters: what the notice shows. */
  shortHash: string;
  generator: string;
}

export interface NoticeModel {
  title: string;
  organisation: string;
  /** Where the notice is published, if declared. */
  website?: string;
  intro: Block[];
  sections: NoticeSection[];
  version: NoticeVersion;
}

// ---------------------------------------------------------------------------------------------
// Wording shared with the record of processing

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

/** The retention promise for the notice: where no rule is declared, it says so rather than inventing one. */
const retentionRich = (rule: RetentionRule | undefined): Rich => (rule ? retentionText(rule) : [{ missing: 'how long we keep this data' }]);

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

/**
 * The rights a person has over one purpose, which depend on its lawful basis (the ICO's table):
 * erasure does not apply where the law requires the processing or for a public task (Art 17(3)(b));
 * portability only for consent or contract, and only for data the person provided (Art 20);
 * the Art 21(1) objection only against public-task and legitimate-interest processing (and, we
 * take it, the recognised legitimate interests of Art 6(1)(ea) (check)); consent can be withdrawn
 * (Art 7(3)); direct marketing can always be refused (Art 21(2)–(3)).
 */
export function rightsForPurpose(purpose: Purpose, policy: Policy): RightKey[] {
  const basis = purpose.lawful_basis;
  const rights: RightKey[] = ['access', 'rectification'];
  if (basis !== 'legal-obligation' && basis !== 'public-task') rights.push('erasure');
  rights.push('restriction');
  if (basis === 'public-task' || basis === 'legitimate-interests' || basis === 'recognised-legitimate-interest') rights.push('objection');
  if (basis === 'consent' || basis === 'contract') {
    const categories = categoriesOf(purpose, policy);
    // Portability covers what the person gave us; a purpose using only data from elsewhere has none.
    if (categories.length === 0 || categories.some((c) => c.provided_by_subject !== false)) rights.push('portability');
  }
  if (basis === 'consent' || purpose.special_condition === 'explicit-consent') rights.push('withdraw-consent');
  if (purpose.direct_marketing) rights.push('object-to-marketing');
  if (purpose.automated_decision) rights.push('human-review');
  return rights;
}

const COUNTRY_NAMES = new Intl.DisplayNames(['en-GB'], { type: 'region' });

export function countryName(code: string): string {
  try {
    return COUNTRY_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}

/** Countries covered by UK adequacy regulations without further conditions: the EEA and Gibraltar. */
const EEA = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GI'.split(' '),
);

export const isUk = (country: string): boolean => country === 'GB';

export function addressText(address: Address | undefined): string {
  if (address === undefined) return '';
  if (typeof address === 'string') return clean(address);
  return [...address.lines, address.town, address.county, address.postcode, address.country ? countryName(address.country) : undefined]
    .filter((part): part is string => Boolean(part))
    .map(clean)
    .join(', ');
}

/** A contact as one line of text, for the record of processing. */
export function contactText(contact: Contact | undefined): string {
  if (!contact) return '';
  return [
    contact.email,
    contact.phone,
    addressText(contact.address),
    contact.web,
    contact.contact_form && `contact form ${contact.contact_form}`,
    contact.live_chat && `live chat ${contact.live_chat}`,
  ]
    .filter((part): part is string => Boolean(part))
    .join('; ');
}

export function controllerEntity(policy: Policy): Entity {
  const entities = policy.organisation.entities;
  const chosen = entities.find((e) => e.id === policy.organisation.controller) ?? entities[0];
  if (!chosen) throw new Error('a declaration always has at least one entity');
  return chosen;
}

export const REGISTERED_IN_TEXT: Record<NonNullable<Entity['registered_in']>, string> = {
  'england-and-wales': 'England and Wales',
  scotland: 'Scotland',
  'northern-ireland': 'Northern Ireland',
  other: 'outside the UK',
};

export function categoriesOf(purpose: Purpose, policy: Policy): DataCategory[] {
  return purpose.categories.map((id) => policy.data_categories.find((c) => c.id === id)).filter(isDefined);
}

/** A purpose we carry out as a processor for a client: every relationship it covers is a processor one. */
export function isProcessorPurpose(purpose: Purpose, policy: Policy): boolean {
  return purpose.relationships.every((id) => policy.relationships.find((r) => r.id === id)?.role === 'processor');
}

/** One international transfer, from a recipient abroad or a transfers entry. */
export interface TransferFact {
  /** Who receives the data, or what the transfer is. */
  what: string;
  /** The countries outside the UK; undefined when the declaration does not say (a transfers entry without countries). */
  countries?: string[];
  safeguard?: Safeguard;
  /** The safeguard in words (SAFEGUARD_LABEL), or a fallback where none is declared. */
  safeguardText: string;
  copy?: string;
  recipientId?: string;
}

/**
 * Every transfer of personal data outside the UK: recipients holding data abroad, plus the
 * declared transfers. A transfer entry that names a recipient replaces that recipient's own line,
 * and takes the recipient's countries, safeguard and copy where it gives none of its own. A
 * transfer whose countries are not stated anywhere is still listed, with countries undefined.
 */
export function transferFacts(policy: Policy): TransferFact[] {
  const facts: TransferFact[] = [];
  const described = new Set(policy.transfers.map((t) => t.recipient).filter(isDefined));
  for (const r of policy.recipients) {
    const abroad = (r.countries ?? []).filter((c) => !isUk(c));
    if (abroad.length === 0 || described.has(r.id)) continue;
    facts.push({ what: r.name, countries: abroad, safeguardText: safeguardText(r.safeguard, abroad), recipientId: r.id, ...opt('safeguard', r.safeguard), ...opt('copy', r.safeguard_copy) });
  }
  for (const t of policy.transfers) {
    const recipient = t.recipient ? policy.recipients.find((r) => r.id === t.recipient) : undefined;
    const safeguard = t.safeguard ?? recipient?.safeguard;
    const copy = t.safeguard_copy ?? recipient?.safeguard_copy;
    const stated = t.countries ?? recipient?.countries;
    const abroad = stated?.filter((c) => !isUk(c));
    if (abroad && abroad.length === 0) continue;
    facts.push({
      what: recipient ? `${recipient.name}: ${clean(t.description)}` : clean(t.description),
      ...opt('countries', abroad),
      safeguardText: safeguardText(safeguard, abroad),
      ...opt('safeguard', safeguard),
      ...opt('copy', copy),
      ...opt('recipientId', t.recipient),
    });
  }
  return facts;
}

/** "Countries not stated" where a transfer does not name them. */
export const COUNTRIES_NOT_STATED = 'Countries not stated';

/** The countries of a transfer as words: "India, United States", or "Countries not stated". */
export function transferCountriesText(fact: TransferFact): string {
  return fact.countries ? fact.countries.map(countryName).join(', ') : COUNTRIES_NOT_STATED;
}

function safeguardText(safeguard: Safeguard | undefined, countries: readonly string[] | undefined): string {
  if (safeguard) return SAFEGUARD_LABEL[safeguard];
  // Unknown countries are never assumed to be adequate.
  if (countries && countries.every((c) => EEA.has(c))) return SAFEGUARD_LABEL.adequacy;
  return 'not stated: contact us to ask how your data is protected';
}

// ---------------------------------------------------------------------------------------------
// Building the notice

const IDENTITY_TEXT: Record<IdentityEvidence, string> = {
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

const NUMBER_WORDS = ['none', 'one', 'two', 'three', 'four', 'five'] as const;

const REQUIREMENT_TEXT: Record<NonNullable<Purpose['requirement']>['kind'], string> = {
  statutory: 'The law requires you to give us this information.',
  contractual: 'Our contract with you requires you to give us this information.',
  'contract-prerequisite': 'We need this information before we can enter into a contract with you.',
  optional: 'Giving us this information is up to you.',
};

const COOKIE_CATEGORY_TEXT: Record<Policy['cookies'][number]['category'], { heading: string; explanation: string }> = {
  'strictly-necessary': {
    heading: 'Strictly necessary',
    explanation: 'These are needed for the website to work, so they do not need your consent.',
  },
  functional: { heading: 'Functional', explanation: 'These remember your choices. We use them only if you agree.' },
  analytics: { heading: 'Analytics', explanation: 'These help us understand how the website is used. We use them only if you agree.' },
  marketing: { heading: 'Marketing', explanation: 'These help us measure and target advertising. We use them only if you agree.' },
};

const TECHNOLOGY_TEXT: Record<Policy['cookies'][number]['technology'], string> = {
  cookie: 'Cookie',
  'local-storage': 'Local storage',
  pixel: 'Pixel',
  script: 'Script',
  fingerprint: 'Device fingerprint',
};

const CHANNEL_TEXT: Record<NonNullable<Purpose['channels']>[number], string> = {
  email: 'email',
  phone: 'phone',
  sms: 'text message',
  post: 'post',
  social: 'social media',
  'in-person': 'in person',
  web: 'our website',
};

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "2026-03-01" → "1 March 2026", without going through a time zone. */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  const month = m === undefined ? undefined : MONTHS[m - 1];
  return y && month && d ? `${d} ${month} ${y}` : iso;
}

/** The public pages Steward serves beside the notice (requests, preferences, complaints). */
export interface PrivacyCentreLinks {
  requests: string;
  preferences: string;
  complaints: string;
}
export const PRIVACY_CENTRE: PrivacyCentreLinks = { requests: '/privacy/requests', preferences: '/preferences', complaints: '/privacy/complaints' };

/** "Not stated: …": what the notice shows where a fact it needs is missing. */
export const NOT_STATED = 'Not stated';
export const missingText = (m: Missing): string => `${NOT_STATED}: ${m.missing}`;

export interface NoticeModelOptions {
  /** Link the privacy centre's forms (when the notice is served by Steward, or rendered with a base URL). */
  privacyCentre?: PrivacyCentreLinks;
}

export function buildNoticeModel(loaded: LoadedPolicy, options: NoticeModelOptions = {}): NoticeModel {
  const ctx = new Context(loaded.policy, options.privacyCentre);
  const { policy } = ctx;
  const sections = [
    whoWeAre(ctx),
    privacyContact(ctx),
    dataWeHold(ctx),
    purposes(ctx),
    sources(ctx),
    requirements(ctx),
    sharing(ctx),
    transfers(ctx),
    retention(ctx),
    rights(ctx),
    consent(ctx),
    automatedDecisions(ctx),
    cookies(ctx),
    children(ctx),
    security(ctx),
    complaints(ctx),
    changes(ctx),
  ].filter(isDefined);
  return {
    title: clean(policy.notice.title),
    organisation: clean(policy.organisation.name),
    ...opt('website', policy.notice.website),
    intro: intro(ctx),
    sections,
    version: {
      effectiveDate: policy.notice.effective_date,
      effectiveDateText: formatDate(policy.notice.effective_date),
      hash: loaded.hash,
      shortHash: loaded.hash.slice(0, 12),
      generator: 'Steward',
    },
  };
}

/** Lookups over the declaration, built once per notice. */
class Context {
  readonly org: Policy['organisation'];
  readonly controller: Entity;
  constructor(
    readonly policy: Policy,
    readonly centre?: PrivacyCentreLinks,
  ) {
    this.org = policy.organisation;
    this.controller = controllerEntity(policy);
  }
  category = (id: string): DataCategory | undefined => this.policy.data_categories.find((c) => c.id === id);
  relationship = (id: string): Policy['relationships'][number] | undefined => this.policy.relationships.find((r) => r.id === id);
  source = (id: string): Policy['sources'][number] | undefined => this.policy.sources.find((s) => s.id === id);
  recipient = (id: string): Recipient | undefined => this.policy.recipients.find((r) => r.id === id);
  rule = (id: string | undefined): RetentionRule | undefined => (id === undefined ? undefined : this.policy.retention.find((r) => r.id === id));
  categoriesOf = (p: Purpose): DataCategory[] => categoriesOf(p, this.policy);
  isProcessor = (p: Purpose): boolean => isProcessorPurpose(p, this.policy);
  get processorRelationships(): Policy['relationships'] {
    return this.policy.relationships.filter((r) => r.role === 'processor');
  }
  /** Purposes where we are the controller: the ones this notice is really about. */
  get controllerPurposes(): Purpose[] {
    return this.policy.purposes.filter((p) => !this.isProcessor(p));
  }
  /** Purposes using consent, as their Art 6 basis or as their Art 9 condition. */
  get consentPurposes(): Purpose[] {
    return this.policy.purposes.filter((p) => p.lawful_basis === 'consent' || p.special_condition === 'explicit-consent');
  }
  get nonEssentialCookies(): Policy['cookies'] {
    return this.policy.cookies.filter((c) => c.category !== 'strictly-necessary');
  }
  /** The address people should use for privacy matters, by preference. */
  get privacyEmail(): string | undefined {
    return this.policy.rights.channels.find((c) => c.type === 'email')?.address ?? this.org.privacy_contact?.email ?? this.org.contact.email;
  }
  purposeLink = (p: Purpose): Link => ({ text: clean(p.name), href: `#purpose-${p.id}` });
}

function intro(ctx: Context): Block[] {
  const { policy, org } = ctx;
  const blocks: Block[] = [
    para(
      `This notice explains how ${clean(org.name)} collects and uses personal information about you, who we share it with, how long we keep it, and the rights you have over it.`,
    ),
  ];
  if (policy.notice.applies_to) blocks.push(para([{ strong: 'Who this notice is for: ' }, clean(policy.notice.applies_to)]));
  if (policy.notice.does_not_apply_to) blocks.push(para([{ strong: 'Who it does not cover: ' }, clean(policy.notice.does_not_apply_to)]));
  blocks.push(para(`This version took effect on ${formatDate(policy.notice.effective_date)}.`));
  if (ctx.centre) {
    blocks.push(
      para([
        'You can ',
        link('make a request about your personal information', ctx.centre.requests),
        ', ',
        link('manage your marketing preferences', ctx.centre.preferences),
        ' or ',
        link('make a complaint', ctx.centre.complaints),
        ' online at any time.',
      ]),
    );
  }
  return blocks;
}

function whoWeAre(ctx: Context): NoticeSection {
  const { org, controller, policy } = ctx;
  const blocks: Block[] = [];
  for (const text of paragraphs(org.description)) blocks.push(para(text));
  const tradingAs = controller.trading_names.length ? `, which also trades as ${joinAnd(controller.trading_names.map(clean))}` : '';
  blocks.push(
    para(
      `The controller responsible for your personal data is ${clean(controller.name)}${tradingAs}. This means we decide why and how your data is used. In this notice "we", "us" and "our" mean ${clean(org.name)}.`,
    ),
  );
  const others = org.entities.filter((e) => e !== controller);
  if (others.length > 0) blocks.push(para(`This notice also covers ${joinAnd(others.map((e) => clean(e.name)))}.`));
  for (const e of org.entities) {
    const parent = e.parent ? org.entities.find((p) => p.id === e.parent) : undefined;
    if (parent) blocks.push(para(`${clean(e.name)} is a subsidiary of ${clean(parent.name)}.`));
  }
  blocks.push({
    type: 'table',
    caption: 'Our companies',
    columns: ['Company', 'Company number', 'Registered in', 'Trading names', 'Registered address', 'Trading address', 'ICO registration'],
    rows: org.entities.map((e) => [
      clean(e.name),
      e.company_number ?? '',
      e.registered_in ? REGISTERED_IN_TEXT[e.registered_in] : '',
      e.trading_names.map(clean).join(', '),
      addressText(e.registered_address),
      addressText(e.trading_address),
      e.ico_registration ?? '',
    ]),
  });
  blocks.push(para('You can contact us:'));
  blocks.push({ type: 'fields', items: contactFields(org.contact) });

  const subsections: NoticeSection[] = [];
  if (org.joint_controllers?.length) {
    subsections.push(
      section('joint-controllers', 'Organisations that decide jointly with us', ['Art 26(2)'], [
        para('For some of our processing we decide jointly with another organisation how your data is used. You can exercise your rights with either of us.'),
        {
          type: 'list',
          items: org.joint_controllers.map((j) => [
            { strong: clean(j.name) },
            j.responsibilities ? `: ${clean(j.responsibilities)}` : '',
            contactText(j.contact) ? ` Contact: ${contactText(j.contact)}.` : '',
          ]),
        },
      ]),
    );
  }
  if (org.representative) {
    subsections.push(
      section('representative', 'Our representative in the UK', ['Art 13(1)(a)', 'Art 27'], [
        para(`Our representative in the UK is ${clean(org.representative.name)}.`),
        { type: 'fields', items: contactFields(org.representative.contact) },
      ]),
    );
  }
  if (ctx.processorRelationships.length > 0) {
    const items: Rich[] = ctx.processorRelationships.map((r) => [
      { strong: capitalise(clean(r.name)) },
      `: we handle this data on behalf of ${r.on_behalf_of ? lowerDeterminer(clean(r.on_behalf_of)) : 'our clients'}.`,
    ]);
    subsections.push(
      section('acting-for-clients', 'When we act for our clients', ['Art 28'], [
        para(
          "Sometimes we handle personal data only on a client's instructions, as a processor. The client is then the controller: it decides how your data is used, and its own privacy notice applies. If you want to use your rights, please contact the client; if you contact us, we will pass your request on.",
        ),
        { type: 'list', items },
      ]),
    );
  }
  if (policy.notice.website) blocks.push(para(['This notice is published at ', link(policy.notice.website, policy.notice.website), '.']));
  return section('who-we-are', 'Who we are', ['Art 13(1)(a)', 'Art 14(1)(a)'], blocks, subsections);
}

function contactFields(contact: Contact): Array<{ label: string; value: Rich }> {
  const fields: Array<{ label: string; value: Rich }> = [];
  if (contact.email) fields.push({ label: 'Email', value: [emailLink(contact.email)] });
  if (contact.phone) fields.push({ label: 'Phone', value: [phoneLink(contact.phone)] });
  if (contact.address) fields.push({ label: 'Post', value: addressText(contact.address) });
  if (contact.web) fields.push({ label: 'Website', value: [link(contact.web, contact.web)] });
  if (contact.contact_form) fields.push({ label: 'Contact form', value: [link(contact.contact_form, contact.contact_form)] });
  if (contact.live_chat) fields.push({ label: 'Live chat', value: [link(contact.live_chat, contact.live_chat)] });
  return fields;
}

function privacyContact(ctx: Context): NoticeSection {
  const pc = ctx.org.privacy_contact;
  if (!pc) {
    return section('privacy-contact', 'Who to contact about privacy', ['Art 13(1)(b)', 'Art 14(1)(b)'], [
      para([{ missing: 'whether we have appointed a Data Protection Officer' }]),
      para('For any question about your personal data, please contact us using the details in "Who we are".'),
    ]);
  }
  const isDpo = pc.kind === 'dpo';
  const who = [pc.name, pc.title].filter(isDefined).map(clean).join(', ');
  const fields: Array<{ label: string; value: Rich }> = [];
  if (who) fields.push({ label: 'Name', value: who });
  if (pc.email) fields.push({ label: 'Email', value: [emailLink(pc.email)] });
  if (pc.phone) fields.push({ label: 'Phone', value: [phoneLink(pc.phone)] });
  if (pc.address) fields.push({ label: 'Post', value: addressText(pc.address) });
  return section(
    'privacy-contact',
    isDpo ? 'Our Data Protection Officer' : 'Who to contact about privacy',
    ['Art 13(1)(b)', 'Art 14(1)(b)'],
    [
      para(
        isDpo
          ? 'We have appointed a Data Protection Officer (DPO), who makes sure we look after your data properly. You can contact our DPO directly about anything in this notice:'
          : 'We have not appointed a Data Protection Officer, but one person leads on privacy. You can contact them about anything in this notice:',
      ),
      { type: 'fields', items: fields.length ? fields : [{ label: 'Contact', value: 'Please use the contact details in "Who we are".' }] },
    ],
  );
}

function categoryNote(c: DataCategory): string {
  const notes: string[] = [];
  if (c.special_category) notes.push(`Special category data (${SPECIAL_CATEGORY_TEXT[c.special_category]}): we give it extra protection.`);
  if (c.criminal_offence) notes.push('Information about criminal convictions or offences: we give it extra protection.');
  if (c.storage === 'never') notes.push('We never store this.');
  if (c.storage === 'reference-only') notes.push('We keep only a reference to it, not the information itself.');
  return notes.join(' ');
}

function dataWeHold(ctx: Context): NoticeSection {
  const { policy } = ctx;
  const blocks: Block[] = [
    para('These are the kinds of personal data we hold. Which of them we hold about you depends on your relationship with us (see below).'),
    {
      type: 'table',
      caption: 'Kinds of personal data',
      columns: ['Kind of data', 'What it includes', 'Notes'],
      rows: policy.data_categories.map((c) => [
        clean(c.name),
        [c.examples.map(clean).join(', '), c.description ? clean(c.description) : ''].filter(Boolean).join('. '),
        categoryNote(c),
      ]),
    },
  ];
  const never = policy.data_categories.filter((c) => c.storage === 'never');
  if (never.length) blocks.push(para(`We never store: ${joinAnd(never.map((c) => lowerFirst(clean(c.name))))}.`));
  const subsections = policy.relationships.map((r) => {
    const used = policy.purposes.filter((p) => p.relationships.includes(r.id));
    const categories = unique(used.flatMap((p) => p.categories))
      .map(ctx.category)
      .filter(isDefined)
      .filter((c) => c.storage !== 'never');
    const sub: Block[] = [];
    for (const text of paragraphs(r.description)) sub.push(para(text));
    if (r.role === 'processor') {
      sub.push(para(`We hold this on behalf of ${r.on_behalf_of ? lowerDeterminer(clean(r.on_behalf_of)) : 'our clients'} (see "When we act for our clients").`));
    }
    const heading = relationshipHeading(clean(r.name));
    sub.push(para(heading.startsWith('If you are') ? 'We may hold:' : 'If you are in this group, we may hold:'));
    sub.push({ type: 'list', items: categories.length ? categories.map((c) => clean(c.name)) : ['No personal data beyond what you send us.'] });
    if (used.length) sub.push(para(['We use it for: ', ...interleave(used.map(ctx.purposeLink), ', '), '.']));
    return section(`if-you-are-${r.id}`, heading, ['Art 14(1)(d)'], sub);
  });
  return section('data-we-hold', 'The personal data we hold', ['Art 14(1)(d)', 'Art 15(1)(b)'], blocks, subsections);
}

function purposes(ctx: Context): NoticeSection {
  const subsections = ctx.policy.purposes.map((p) => {
    const blocks: Block[] = paragraphs(p.description).map((t) => para(t));
    const fields: Array<{ label: string; value: Rich }> = [];
    const relationships = p.relationships.map(ctx.relationship).filter(isDefined).map((r) => clean(r.name));
    fields.push({ label: 'Whose data', value: capitalise(joinAnd(relationships)) });
    const categories = ctx.categoriesOf(p);
    fields.push({ label: 'Data we use', value: categories.map((c) => clean(c.name)).join(', ') });
    if (p.lawful_basis) {
      fields.push({ label: 'Lawful basis', value: [{ strong: lawfulBasisLabel(p.lawful_basis) }, `: ${LAWFUL_BASIS_TEXT[p.lawful_basis].explanation}.`] });
    } else if (ctx.isProcessor(p)) {
      fields.push({ label: 'Lawful basis', value: 'We do this for our clients, who decide the lawful basis as controllers.' });
    } else {
      fields.push({ label: 'Lawful basis', value: [{ missing: 'the lawful basis for this use' }] });
    }
    if (p.lawful_basis === 'legitimate-interests' && p.legitimate_interest) {
      fields.push({ label: 'Our legitimate interest', value: clean(p.legitimate_interest) });
    }
    if (p.recognised_interest) {
      fields.push({
        label: 'Recognised legitimate interest',
        value: `${capitalise(RECOGNISED_INTEREST_TEXT[p.recognised_interest])} (${LAWFUL_BASIS_ARTICLE['recognised-legitimate-interest']} and Annex 1 UK GDPR).`,
      });
    }
    const special = categories.filter((c) => c.special_category);
    if (special.length || p.special_condition) {
      const what = unique(special.map((c) => SPECIAL_CATEGORY_TEXT[c.special_category!]));
      const intro = what.length ? `This involves special category data (${joinAnd(what)}). ` : '';
      const condition = p.special_condition ? `Our condition for using it is ${art9Label(p.special_condition)}` : 'Our condition for using it is not yet stated; please ask us';
      const schedule = p.schedule1_condition ? `, together with Schedule 1 to the Data Protection Act 2018: ${clean(p.schedule1_condition)}` : '';
      fields.push({ label: 'Special category data', value: `${intro}${condition}${schedule}.` });
    }
    if (categories.some((c) => c.criminal_offence)) {
      fields.push({ label: 'Criminal offence data', value: 'This involves information about criminal convictions or offences, which we use only where the law allows (Art 10 UK GDPR).' });
    }
    const sources = (p.sources ?? []).map(ctx.source).filter(isDefined);
    if (sources.length) fields.push({ label: 'Where we get it', value: sources.map((s) => sourceName(s)).join(', ') });
    const recipients = (p.recipients ?? []).map(ctx.recipient).filter(isDefined);
    fields.push({
      label: 'Who we share it with',
      value: recipients.length ? recipients.map((r) => clean(r.name)).join(', ') : p.recipients ? 'No one outside our organisation.' : [{ missing: 'who receives this data' }],
    });
    fields.push({ label: 'How long we keep it', value: retentionRich(ctx.rule(p.retention)) });
    if (p.requirement) fields.push({ label: 'Whether you have to give it', value: requirementText(p.requirement) });
    if (p.direct_marketing) {
      const channels = p.channels?.length ? ` by ${joinOr(p.channels.map((c) => CHANNEL_TEXT[c]))}` : '';
      fields.push({ label: 'Marketing', value: `We use this data to send you marketing${channels}. You can tell us to stop at any time, and we will.` });
    }
    if (p.soft_opt_in) fields.push({ label: 'Emails and texts to existing customers', value: softOptInText(p) });
    if (p.automated_decision) {
      fields.push({ label: 'Automated decisions', value: ['Yes: see ', { text: 'Automated decisions', href: '#automated-decisions' }, '.'] });
    }
    blocks.push({ type: 'fields', items: fields });
    return section(`purpose-${p.id}`, clean(p.name), ['Art 13(1)(c)', 'Art 14(1)(c)'], blocks);
  });
  return section(
    'purposes',
    'Why we use your data, and our lawful basis',
    ['Art 13(1)(c)', 'Art 13(1)(d)', 'Art 14(1)(c)', 'Art 14(2)(b)', 'Art 9(2)'],
    [
      para('The law only lets us use your personal data where we have a lawful basis. For each use below we say what it is, and where we rely on legitimate interests we say what those interests are.'),
      {
        type: 'table',
        caption: 'Our uses of personal data at a glance',
        columns: ['What we use it for', 'Lawful basis'],
        rows: ctx.policy.purposes.map((p) => [
          [ctx.purposeLink(p)],
          p.lawful_basis ? lawfulBasisLabel(p.lawful_basis) : ctx.isProcessor(p) ? "Our client's (we act as processor)" : [{ missing: 'the lawful basis' }],
        ]),
      },
    ],
    subsections,
  );
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

function sourceName(s: Policy['sources'][number]): string {
  return s.kind === 'data-subject' ? 'You' : clean(s.name);
}

function requirementText(r: NonNullable<Purpose['requirement']>): string {
  const consequence = r.consequence
    ? `If you do not give it, ${lowerFirst(clean(r.consequence))}`
    : r.kind === 'optional'
      ? ''
      : 'If you do not give it, we may not be able to do this.';
  return [REQUIREMENT_TEXT[r.kind], consequence].filter(Boolean).map(endSentence).join(' ');
}

function sources(ctx: Context): NoticeSection {
  const { policy } = ctx;
  const blocks: Block[] = [];
  const fromYou = policy.purposes.some((p) => !p.sources?.length || p.sources.some((id) => ctx.source(id)?.kind === 'data-subject'));
  if (fromYou) {
    // Only the relationships declared: "…or apply to work with us" only where candidates are one.
    const direct = unique(
      policy.purposes
        .filter((p) => !ctx.isProcessor(p) && (!p.sources?.length || p.sources.some((id) => ctx.source(id)?.kind === 'data-subject')))
        .flatMap((p) => p.relationships),
    )
      .map(ctx.relationship)
      .filter(isDefined)
      .map((r) => lowerFirst(clean(r.name)));
    blocks.push(para(direct.length ? `Most of the information we hold, you give us yourself, in your dealings with us as: ${joinAnd(direct)}.` : 'Most of the information we hold, you give us yourself.'));
  }
  const elsewhere = policy.sources.filter((s) => s.kind !== 'data-subject');
  if (elsewhere.length) {
    blocks.push(para('We also get information about you from these sources:'));
    blocks.push({
      type: 'table',
      caption: 'Where we get your data from, other than from you',
      columns: ['Source', 'Type of source', 'Publicly accessible?', 'Data we get', 'Used for'],
      rows: elsewhere.map((s) => {
        const used = policy.purposes.filter((p) => p.sources?.includes(s.id));
        const categories = unique(used.flatMap((p) => p.categories)).map(ctx.category).filter(isDefined);
        return [
          [clean(s.name), s.description ? ` (${clean(s.description)})` : ''],
          capitalise(SOURCE_KIND_TEXT[s.kind]),
          s.publicly_accessible ? 'Yes, it is publicly accessible' : 'No, it is not public',
          categories.map((c) => clean(c.name)).join(', '),
          interleave(used.map(ctx.purposeLink), ', '),
        ];
      }),
    });
    blocks.push(
      para(
        'When we get your data from someone other than you, we will give you the information in this notice within a month, or earlier if we contact you or pass your data on before then.',
      ),
    );
  } else {
    blocks.push(para('We do not get personal data about you from anyone else.'));
  }
  return section('sources', 'Where we get your data', ['Art 14(2)(f)', 'Art 14(3)'], blocks);
}

function requirements(ctx: Context): NoticeSection {
  const listed = ctx.policy.purposes.filter((p) => p.requirement);
  const blocks: Block[] = [];
  if (listed.length) {
    blocks.push(para('Where we ask you for information, this is whether you have to give it and what happens if you do not:'));
    blocks.push({
      type: 'list',
      items: listed.map((p) => [{ strong: clean(p.name) }, `: ${requirementText(p.requirement!)}`]),
    });
    const others = ctx.controllerPurposes.filter((p) => !p.requirement);
    if (others.length) blocks.push(para('For our other uses, we will tell you when we ask for information whether you have to give it.'));
  } else {
    blocks.push(para('When we ask you for information we will tell you whether you have to give it, and what happens if you do not.'));
  }
  return section('requirements', 'Do you have to give us your data?', ['Art 13(2)(e)'], blocks);
}

function sharing(ctx: Context): NoticeSection {
  const { policy } = ctx;
  if (policy.recipients.length === 0) {
    const explicit = policy.purposes.length > 0 && policy.purposes.every((p) => p.recipients !== undefined);
    return section('sharing', 'Who we share your data with', ['Art 13(1)(e)', 'Art 14(1)(e)'], [
      para(explicit ? 'We do not share your personal data with other organisations.' : [{ missing: 'who receives your personal data' }]),
    ]);
  }
  return section('sharing', 'Who we share your data with', ['Art 13(1)(e)', 'Art 14(1)(e)'], [
    para('We share personal data only where we need to, with these organisations or kinds of organisation. Service providers acting for us may use it only on our instructions.'),
    {
      type: 'table',
      caption: 'Who receives personal data',
      columns: ['Recipient', 'Who they are', 'Why', 'Data they receive', 'Where'],
      rows: policy.recipients.map((r) => {
        const used = policy.purposes.filter((p) => p.recipients?.includes(r.id));
        const why: Rich = r.purpose ? clean(r.purpose) : interleave(used.map(ctx.purposeLink), ', ');
        const categories = (r.categories ?? unique(used.flatMap((p) => p.categories))).map(ctx.category).filter(isDefined);
        return [
          r.is_category ? `${clean(r.name)} (a kind of organisation, not one named organisation)` : clean(r.name),
          RECIPIENT_KIND_TEXT[r.kind],
          why,
          categories.map((c) => clean(c.name)).join(', '),
          // A public authority receiving data under UK law is taken to be in the UK unless countries say otherwise.
          r.countries?.length ? r.countries.map(countryName).join(', ') : r.kind === 'public-authority' ? countryName('GB') : [{ missing: 'where they hold it' }],
        ];
      }),
    },
  ]);
}

function transfers(ctx: Context): NoticeSection {
  const facts = transferFacts(ctx.policy);
  if (facts.length === 0) {
    // "We do not send it abroad" only where every recipient's countries are declared.
    const unknown = ctx.policy.recipients.filter((r) => !r.countries?.length && r.kind !== 'public-authority');
    const text: Rich = unknown.length
      ? [{ missing: `where ${joinAnd(unknown.map((r) => clean(r.name)))} hold${unknown.length === 1 && !unknown[0]!.is_category ? 's' : ''} your data, so whether it leaves the UK` }]
      : ctx.policy.recipients.length > 0
        ? 'We do not send your personal data outside the UK.'
        : 'This notice lists no transfers of your personal data outside the UK.';
    return section('transfers', 'Sending your data outside the UK', ['Art 13(1)(f)', 'Art 14(1)(f)'], [para(text)]);
  }
  const defaultCopy = ctx.privacyEmail ? `Ask us at ${ctx.privacyEmail}.` : 'Ask us, using the contact details above.';
  return section('transfers', 'Sending your data outside the UK', ['Art 13(1)(f)', 'Art 14(1)(f)', 'Art 46'], [
    para(
      'Some of your personal data is sent to, or can be accessed from, countries outside the UK. When that happens, the law requires the data to be protected: either the country has UK adequacy regulations, or we use a safeguard approved under UK law. You can ask for a copy of the safeguard.',
    ),
    {
      type: 'table',
      caption: 'International transfers',
      columns: ['Who or what', 'Country', 'How your data is protected', 'How to get a copy'],
      rows: facts.map((f) => [
        f.what,
        f.countries ? transferCountriesText(f) : `${COUNTRIES_NOT_STATED}; ask us where your data goes`,
        capitalise(f.safeguardText),
        f.safeguard === 'adequacy' ? 'No copy needed: the UK has decided the country protects data adequately.' : f.copy ? clean(f.copy) : defaultCopy,
      ]),
    },
  ]);
}

function retention(ctx: Context): NoticeSection {
  return section('retention', 'How long we keep your data', ['Art 13(2)(a)', 'Art 14(2)(a)'], [
    para('We keep personal data only as long as we need it. When the period ends we delete it, or anonymise it so that it can no longer identify you.'),
    {
      type: 'table',
      caption: 'How long we keep data for each use',
      columns: ['Use', 'How long we keep it'],
      rows: ctx.policy.purposes.map((p) => [[ctx.purposeLink(p)], retentionRich(ctx.rule(p.retention))]),
    },
  ]);
}

function rights(ctx: Context): NoticeSection {
  const { policy } = ctx;
  const anyMarketing = policy.purposes.some((p) => p.direct_marketing);
  const anyConsent = ctx.consentPurposes.length > 0;
  const items: Rich[] = [
    [{ strong: 'Access' }, ': you can ask whether we hold data about you and for a copy of it, with details of how we use it.'],
    [{ strong: 'Rectification' }, ': you can ask us to correct data that is wrong or to complete data that is incomplete.'],
    [
      { strong: 'Erasure' },
      ': you can ask us to delete your data, for example when we no longer need it or you have withdrawn consent. We may keep data the law requires us to keep or that we need for legal claims.',
    ],
    [{ strong: 'Restriction' }, ': you can ask us to stop using your data, other than storing it, while a problem is sorted out.'],
    [
      { strong: 'Objection' },
      ': you can object to our using your data where we rely on legitimate interests. We will then stop unless we have compelling grounds that override your interests, or we need the data for legal claims.',
    ],
    [
      { strong: 'Objection to direct marketing' },
      ': you can tell us at any time to stop using your data for direct marketing. This right is absolute: we will always stop, and we keep a note so that we do not contact you again.',
    ],
    [
      { strong: 'Data portability' },
      ': where we use data you gave us on the basis of consent or a contract, you can ask for it in a structured, machine-readable form, or ask us to send it to another organisation.',
    ],
  ];
  if (anyConsent) items.push([{ strong: 'Withdrawing consent' }, ': where we rely on your consent, you can withdraw it at any time (see "Withdrawing your consent").']);
  items.push([{ strong: 'Automated decisions' }, ': you can ask a person to review a decision made about you by automated means only (see "Automated decisions").']);
  const blocks: Block[] = [
    para('You have these rights over your personal data:'),
    { type: 'list', items },
    para('Some rights depend on the lawful basis for a use. This table shows which rights apply to each use:'),
    {
      type: 'table',
      caption: 'Which rights apply to each use',
      columns: ['Use', 'Your rights'],
      rows: policy.purposes.map((p) => [[ctx.purposeLink(p)], rightsForPurpose(p, policy).map((r) => RIGHT_LABEL[r]).join(', ')]),
    },
  ];
  if (anyMarketing) {
    blocks.push(
      para([
        { strong: 'Marketing: ' },
        ctx.policy.rights.consent.withdrawal_channels.includes('unsubscribe-link')
          ? 'you can object to direct marketing at any time, free of charge, and we will stop. Use the unsubscribe link in any message, or contact us.'
          : 'you can object to direct marketing at any time, free of charge, and we will stop. Just contact us.',
      ]),
    );
  }
  return section('rights', 'Your rights', ['Art 13(2)(b)', 'Art 14(2)(c)', 'Art 21(4)'], blocks, [howToRequest(ctx)]);
}

function howToRequest(ctx: Context): NoticeSection {
  const { policy } = ctx;
  const r = policy.rights;
  const channelItems: Rich[] = r.channels.map((c) => {
    const address = c.address ? clean(c.address) : undefined;
    switch (c.type) {
      case 'email':
        return address ? ['By email: ', emailLink(address)] : 'By email';
      case 'phone':
        return address ? ['By phone: ', phoneLink(address)] : 'By phone';
      case 'post':
        return address ? `By post: ${address}` : 'By post, to the address in "Who we are"';
      case 'web-form':
        return address ? ['Online: ', link(address, address)] : 'Using the form on our website';
      case 'in-person':
        return address ? `In person: ${address}` : 'In person, at our offices';
    }
  });
  if (ctx.centre) channelItems.unshift(['Online, with ', link('our request form', ctx.centre.requests)]);
  const blocks: Block[] = [];
  if (channelItems.length) {
    blocks.push(para('You can make a request:'));
    blocks.push({ type: 'list', items: channelItems });
  } else {
    blocks.push(para('You can make a request using any of the contact details in "Who we are".'));
  }
  blocks.push(para('You do not have to use a special form or mention the law. There is normally no charge.'));
  if (r.identity) {
    const ask = identityText(r.identity);
    blocks.push(para(r.identity.note ? `${ask} ${endSentence(clean(r.identity.note))}` : ask));
  } else {
    blocks.push(para('If we are not sure who you are, we may ask for proof of identity before we answer.'));
  }
  const period = r.response_period === '28-days' ? '28 days' : 'one month';
  blocks.push(
    para([
      { strong: `We will answer within ${period}` },
      ' of receiving your request. If we need proof of identity, the time starts when we receive it.',
    ]),
  );
  if (r.extension_allowed) {
    blocks.push(para(`If your request is complex, or you make several, we may take up to two more months. If so, we will tell you why within ${period}.`));
  }
  blocks.push(
    para('If a request is clearly unfounded or excessive, we may charge a reasonable fee or refuse it. We will explain why, and you can complain to the regulator or go to court.'),
  );
  return section('how-to-request', 'How to use your rights', ['Art 12', 'Art 12(3)'], blocks);
}

/** What the notice says about proof of identity; without a declared count it gives none. */
function identityText(identity: NonNullable<Policy['rights']['identity']>): string {
  const evidence = identity.accepted.map((e) => IDENTITY_TEXT[e]);
  const { required } = identity;
  const guard = 'To protect your data from people pretending to be you';
  if (required === 0) {
    return evidence.length
      ? `We do not normally ask for proof of identity, but if we are unsure who you are we may ask for one of: ${evidence.join(', ')}.`
      : 'We do not normally ask for proof of identity, but if we are unsure who you are we may ask for it.';
  }
  if (required === undefined) {
    return evidence.length
      ? `${guard}, we will ask for proof of identity, such as: ${evidence.join(', ')}.`
      : `${guard}, we will ask for proof of identity.`;
  }
  const howMany = NUMBER_WORDS[required] ?? String(required);
  return evidence.length
    ? `${guard}, we will ask for ${howMany} of: ${evidence.join(', ')}.`
    : `${guard}, we will ask for ${howMany} ${required === 1 ? 'piece' : 'pieces'} of proof of identity.`;
}

function withdrawalChannelText(ctx: Context, channel: Policy['rights']['consent']['withdrawal_channels'][number]): Rich {
  const rights = ctx.policy.rights;
  const find = (type: string): string | undefined => rights.channels.find((c) => c.type === type)?.address;
  switch (channel) {
    case 'unsubscribe-link':
      return 'use the unsubscribe link in any marketing email or text we send you';
    case 'email': {
      const to = ctx.privacyEmail;
      return to ? ['email ', emailLink(to)] : 'email us';
    }
    case 'web-form': {
      const form = find('web-form') ?? ctx.org.contact.contact_form;
      return form ? ['use our online form at ', link(form, form)] : 'use the form on our website';
    }
    case 'phone': {
      const phone = find('phone') ?? ctx.org.privacy_contact?.phone ?? ctx.org.contact.phone;
      return phone ? ['phone ', phoneLink(phone)] : 'phone us';
    }
    case 'post': {
      const post = find('post') ?? addressText(ctx.org.contact.address);
      return post ? `write to ${clean(post)}` : 'write to us';
    }
    case 'in-person':
      return 'tell us in person';
  }
}

function consent(ctx: Context): NoticeSection | undefined {
  const used = ctx.consentPurposes;
  const cookieConsent = ctx.nonEssentialCookies.length > 0;
  if (used.length === 0 && !cookieConsent) return undefined;
  const c = ctx.policy.rights.consent;
  const blocks: Block[] = [];
  if (used.length) {
    blocks.push(para(['We rely on your consent for: ', ...interleave(used.map(ctx.purposeLink), ', '), '.']));
  }
  blocks.push(
    para('You can withdraw your consent at any time, as easily as you gave it. Withdrawing it does not make unlawful what we did before, but we will stop using your data for that purpose.'),
  );
  const ways = c.withdrawal_channels.map((ch) => withdrawalChannelText(ctx, ch));
  if (ways.length) {
    blocks.push(para('To withdraw your consent you can:'));
    blocks.push({ type: 'list', items: ways });
  } else if (ctx.privacyEmail) {
    blocks.push(para(['To withdraw your consent, email ', emailLink(ctx.privacyEmail), '.']));
  }
  const settings = ctx.policy.cookie_controls?.settings;
  if (cookieConsent && settings) blocks.push(para(['You can change your cookie choices at any time in ', link('our cookie settings', settings), '.']));
  if (c.validity) {
    const renewal = c.renewal_notice ? ` We will ask you to renew it ${formatDuration(c.renewal_notice)} before it lapses.` : '';
    blocks.push(para(`Your consent lasts ${formatDuration(c.validity)} unless you renew it; after that we stop relying on it.${renewal}`));
  }
  return section('withdraw-consent', 'Withdrawing your consent', ['Art 13(2)(c)', 'Art 14(2)(d)', 'Art 7(3)'], blocks);
}

function automatedDecisions(ctx: Context): NoticeSection {
  const used = ctx.policy.purposes.filter((p) => p.automated_decision);
  if (used.length === 0) {
    return section('automated-decisions', 'Automated decisions', ['Art 13(2)(f)', 'Art 14(2)(g)'], [
      para(
        ctx.policy.practices?.automated_decisions === false
          ? 'We do not make decisions about you by automated means alone (without a person involved) that have legal or similarly significant effects on you, and we do not profile you for such decisions.'
          : [{ missing: 'whether we make decisions about you by automated means alone' }],
      ),
    ]);
  }
  const subsections = used.map((p) => {
    const ad = p.automated_decision!;
    return section(`automated-${p.id}`, clean(p.name), ['Art 13(2)(f)', 'Art 14(2)(g)'], [
      {
        type: 'fields',
        items: [
          { label: 'How it works', value: clean(ad.logic) },
          { label: 'What it means for you', value: clean(ad.consequences) },
          {
            label: 'Your safeguards',
            value: ad.safeguards ? clean(ad.safeguards) : 'You can ask for a person to review the decision, give your point of view and challenge it.',
          },
        ],
      },
    ]);
  });
  return section(
    'automated-decisions',
    'Automated decisions',
    ['Art 13(2)(f)', 'Art 14(2)(g)', 'Art 22'],
    [
      para('We make some decisions about you by automated means alone. For each, we explain how it works and what it means for you. You can always ask for a person to review the decision, give your point of view and challenge it.'),
    ],
    subsections,
  );
}

function cookies(ctx: Context): NoticeSection {
  const { policy } = ctx;
  if (policy.cookies.length === 0) {
    return section('cookies', 'Cookies and similar technologies', ['PECR reg 6'], [para('This notice lists no cookies or similar technologies.')]);
  }
  const order = ['strictly-necessary', 'functional', 'analytics', 'marketing'] as const;
  const subsections = order
    .map((category) => {
      const list = policy.cookies.filter((c) => c.category === category);
      if (list.length === 0) return undefined;
      const text = COOKIE_CATEGORY_TEXT[category];
      const exemptHere = list.filter((c) => c.exemption);
      const explanation =
        exemptHere.length === 0
          ? text.explanation
          : exemptHere.length === list.length
            ? 'We use these without asking for consent, as explained above; you can object to them.'
            : `${text.explanation} Except ${joinAnd(exemptHere.map((c) => clean(c.name)))}, which we use without asking, as explained above.`;
      return section(`cookies-${category}`, text.heading, ['PECR reg 6'], [
        para(explanation),
        {
          type: 'table',
          caption: `${text.heading} cookies and similar technologies`,
          columns: ['Name', 'Type', 'Set by', 'What it does', 'How long it lasts'],
          rows: list.map((c) => [
            clean(c.name),
            TECHNOLOGY_TEXT[c.technology],
            c.provider ? clean(c.provider) : c.recipient ? clean(ctx.recipient(c.recipient)?.name ?? 'Another organisation') : 'Us',
            clean(c.purpose),
            c.duration === undefined ? 'Not stated' : c.duration === 'session' ? 'Until you close your browser' : formatDuration(c.duration),
          ]),
        },
      ]);
    })
    .filter(isDefined);
  const blocks: Block[] = [
    para('Cookies are small files a website stores on your device. Similar technologies (local storage, pixels, scripts) work in much the same way, and we treat them the same.'),
  ];
  const controls = policy.cookie_controls;
  const needConsent = ctx.nonEssentialCookies.filter((c) => !c.exemption);
  const exempt = policy.cookies.filter((c) => c.exemption);
  if (needConsent.length) {
    blocks.push(
      para(
        controls?.settings
          ? [
              'We use strictly necessary cookies without asking, because the website cannot work without them. Others we use only if you agree: rejecting them is as easy as accepting them, none is switched on until you choose, and you can change your mind at any time in ',
              link('our cookie settings', controls.settings),
              '.',
            ]
          : ['We use strictly necessary cookies without asking, because the website cannot work without them. ', { missing: 'how you can accept or refuse the others' }],
      ),
    );
    if (controls?.global_privacy_control === true) blocks.push(para('If your browser sends a Global Privacy Control signal, we treat it as a refusal.'));
  }
  if (exempt.length) {
    // PECR Sch A1: statistics and appearance cookies need no consent if people can object.
    const names = joinAnd(exempt.map((c) => clean(c.name)));
    blocks.push(
      para([
        `We use ${names} without asking for consent, as the law allows for statistics that help us improve our website and for remembering how you want it to look or work. You can object at any time, free of charge: `,
        controls?.objection ? clean(controls.objection) : { missing: 'how to object' },
        controls?.objection ? '.' : '',
      ]),
    );
  }
  return section('cookies', 'Cookies and similar technologies', ['PECR reg 6'], blocks, subsections);
}

function children(ctx: Context): NoticeSection | undefined {
  const declared = ctx.policy.practices?.services_for_children;
  if (declared === false) return section('children', 'Children', ['Art 8'], [para('Our online services are not offered directly to children.')]);
  if (declared === undefined) {
    if (ctx.consentPurposes.length === 0 && ctx.nonEssentialCookies.length === 0) return undefined;
    return section('children', 'Children', ['Art 8'], [para([{ missing: 'whether our online services are offered directly to children' }])]);
  }
  const age = ctx.policy.rights.age_of_digital_consent;
  return section('children', 'Children', ['Art 8'], [
    para(
      `If you are under ${age}, you cannot give consent yourself for our online services: we need consent from a parent or guardian, and we take reasonable steps to check it.`,
    ),
  ]);
}

function security(ctx: Context): NoticeSection {
  const measures = ctx.policy.security_measures;
  const never = ctx.policy.data_categories.filter((c) => c.storage === 'never');
  const blocks: Block[] = [para('We protect your personal data against loss, misuse and unauthorised access. Our measures include:')];
  const items: Rich[] = measures.map(clean);
  for (const c of never) items.push(`We never store ${lowerFirst(clean(c.name))}.`);
  if (items.length) blocks.push({ type: 'list', items });
  else blocks[0] = para('We protect your personal data against loss, misuse and unauthorised access with technical and organisational measures suited to the risk.');
  blocks.push(para('If a breach of security puts your rights at high risk, we will tell you without undue delay.'));
  return section('security', 'How we protect your data', ['Art 32'], blocks);
}

function complaints(ctx: Context): NoticeSection {
  const sa = ctx.org.supervisory_authority;
  const fields: Array<{ label: string; value: Rich }> = [{ label: 'Regulator', value: clean(sa.name) }];
  if (sa.website) fields.push({ label: 'Website', value: [link(sa.website, sa.website)] });
  if (sa.phone) fields.push({ label: 'Phone', value: [phoneLink(sa.phone)] });
  const declared = ctx.policy.complaints;
  const ways: Rich[] = [];
  if (ctx.centre) ways.push(['Online, with ', link('our complaint form', ctx.centre.complaints)]);
  for (const c of declared?.channels ?? []) {
    const address = c.address ? clean(c.address) : undefined;
    if (c.type === 'web-form' && address && address === ctx.centre?.complaints) continue;
    switch (c.type) {
      case 'web-form':
        ways.push(address ? ['Online: ', link(address, address)] : 'Using the form on our website');
        break;
      case 'email':
        ways.push(address ? ['By email: ', emailLink(address)] : 'By email');
        break;
      case 'phone':
        ways.push(address ? ['By phone: ', phoneLink(address)] : 'By phone');
        break;
      case 'post':
        ways.push(address ? `By post: ${address}` : 'By post, to the address in "Who we are"');
        break;
      case 'in-person':
        ways.push(address ? `In person: ${address}` : 'In person, at our offices');
        break;
    }
  }
  const toUs: Block[] = ways.length
    ? [
        para('If you are unhappy with how we have used your data, please complain to us first, so that we can try to put it right. You can complain:'),
        { type: 'list', items: ways },
        para(
          `${declared?.handled_by ? `${capitalise(clean(declared.handled_by))} deals with complaints. ` : ''}We will acknowledge your complaint within 30 days of receiving it, look into it, keep you informed, and tell you the outcome without undue delay.`,
        ),
      ]
    : [para(['If you are unhappy with how we have used your data, please tell us first, so that we can try to put it right. ', { missing: 'how to complain to us' }])];
  return section('complaints', 'How to complain', ['Art 13(2)(d)', 'Art 14(2)(e)', 'Art 77', 'DPA 2018 s.164A'], [
    ...toUs,
    para(`You also have the right to complain to the ${clean(sa.name)}, the UK regulator for data protection:`),
    { type: 'fields', items: fields },
    para('You can also go to court.'),
  ]);
}

function changes(ctx: Context): NoticeSection {
  const { notice } = ctx.policy;
  const blocks: Block[] = [];
  for (const t of paragraphs(notice.changes)) blocks.push(para(t));
  if (blocks.length === 0) blocks.push(para('We will update this notice when our use of personal data changes, and publish the new version here.'));
  blocks.push(para(`This version took effect on ${formatDate(notice.effective_date)}.`));
  if (notice.legal_references.length) blocks.push(para(`This notice is written under: ${joinAnd(notice.legal_references.map(clean))}.`));
  return section('changes', 'Changes to this notice', [], blocks);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function section(id: string, heading: string, covers: string[], blocks: Block[], subsections: NoticeSection[] = []): NoticeSection {
  return { id, heading, covers, blocks, subsections };
}

const para = (text: Rich): Block => ({ type: 'paragraph', text });
const link = (text: string, href: string): Link => ({ text: clean(text), href: href.trim() });
const emailLink = (address: string): Link => ({ text: clean(address), href: `mailto:${address.trim()}` });
/** A phone number as a tel: link (RFC 3966): digits and a leading plus only. */
function phoneLink(number: string): Span {
  const digits = number.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  return digits.replace('+', '').length >= 3 ? { text: clean(number), href: `tel:${digits}` } : clean(number);
}

function interleave(items: Span[], separator: string): Span[] {
  return items.flatMap((item, i) => (i === 0 ? [item] : [separator, item]));
}

/** Collapses runs of whitespace: declaration text may come from YAML block scalars. */
export const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Splits text on blank lines into paragraphs. */
function paragraphs(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\n\s*\n/).map(clean).filter(Boolean);
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
/** Lower-cases the first letter unless the word looks like an acronym ("ICO"). */
const lowerFirst = (s: string): string => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
/** Lower-cases a leading article or possessive ("Our business customers"), never a name ("Acme Ltd"). */
const lowerDeterminer = (s: string): string => s.replace(/^(The|Our|Their|A|An|Any|All|Some)\b/, (w) => w.toLowerCase());
const endSentence = (s: string): string => (/[.!?)]$/.test(s) ? s : `${s}.`);

/**
 * The heading for a relationship: "If you are a customer", "If you are an enquirer", "If you are
 * one of our business contacts". Names too long or complex for that ("people whose calls we record
 * for our business customers") are used as the heading as they are.
 */
function relationshipHeading(name: string): string {
  if (!/^[A-Za-z'’-]+(?: [A-Za-z'’-]+){0,2}$/.test(name)) return capitalise(name);
  const n = lowerFirst(name);
  if (/[^s]s$/.test(n)) return `If you are one of our ${n}`;
  return `If you are ${/^[aeiou]/i.test(n) ? 'an' : 'a'} ${n}`;
}

export function joinAnd(items: readonly string[]): string {
  return joinWith(items, 'and');
}
export function joinOr(items: readonly string[]): string {
  return joinWith(items, 'or');
}
function joinWith(items: readonly string[], word: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function isDefined<T>(value: T | undefined | null): value is T {
  return value !== undefined && value !== null;
}

/** `{ [key]: value }` when value is defined, else `{}`: keeps optional fields absent, not undefined. */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
