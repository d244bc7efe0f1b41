/**
 * The declaration: an organisation's processing written down once, as YAML.
 *
 * This Zod schema is the single source of truth for the file format. The loader validates with
 * it, the JSON Schema published for editors is generated from it (`steward policy schema`), and the
 * field reference in docs/declaration.md is generated from its descriptions. Every object is
 * strict, so a misspelt key is an error pointing at its line rather than a silently ignored field.
 *
 * Some things the law requires are deliberately optional here (a purpose's lawful basis, a
 * recipient's country): a missing one is reported by the linter (policy.lint.ts) with a rule id
 * and a plain-English explanation, which helps a non-lawyer more than a bare "required".
 */
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, like "customer-contact"')
  .max(64)
  .describe('A short identifier used to refer to this entry elsewhere in the file.');

const text = z.string().trim().min(1, 'must not be empty').max(4000);
const shortText = z.string().trim().min(1, 'must not be empty').max(300);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use the form YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'is not a real date');
const url = z.string().trim().regex(/^(https?:\/\/|mailto:|\/)[^\s]+$/, 'must be a web address (https://…), a mailto: link or a path');
const email = z.email('must be an email address');
const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'use a two-letter ISO 3166 country code in capitals, like "GB" or "US"')
  .describe('Two-letter ISO 3166-1 country code (GB, IE, US …).');

/**
 * A period of time: "6 years", "3 months", "28 days", "1 week", or ISO 8601 ("P6Y", "P3M").
 * Kept as written; retention/duration.ts turns it into calendar arithmetic.
 */
export const durationPattern = /^(?:(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)|P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,4})D)?)$/;
const duration = z
  .string()
  .trim()
  .regex(durationPattern, 'write a period like "6 years", "3 months", "28 days" or ISO 8601 "P6Y"')
  .refine((s) => s !== 'P', 'an empty ISO 8601 period has no length')
  .describe('A period: "6 years", "3 months", "28 days", or ISO 8601 like "P6Y".');

export const UK_REGIONS = ['england-and-wales', 'scotland', 'northern-ireland'] as const;

const address = z
  .union([
    shortText,
    z.strictObject({
      lines: z.array(shortText).min(1).describe('Street lines, in order.'),
      town: shortText.optional().describe('Post town.'),
      county: shortText.optional().describe('County, if used.'),
      postcode: shortText.optional().describe('Postcode.'),
      country: countryCode.optional(),
    }),
  ])
  .describe('A postal address: one line of text, or lines with town, county and postcode.');

const contact = z
  .strictObject({
    email: email.optional().describe('Email address.'),
    phone: shortText.optional().describe('Telephone number, as people should dial it.'),
    address: address.optional(),
    web: url.optional().describe('Website.'),
    contact_form: url.optional().describe('Address of a contact form people can use.'),
    live_chat: url.optional().describe('Where a live chat is offered.'),
  })
  .describe('Ways to reach someone. Give at least one.');

const entity = z
  .strictObject({
    id,
    name: shortText.describe('The registered legal name, e.g. "Kestronics Ltd".'),
    company_number: z
      .string()
      .regex(/^(?:[0-9]{1,8}|[A-Z]{2}[0-9]{6})$/, 'a Companies House number: up to 8 digits, or two letters and six digits (SC123456)')
      .optional()
      .describe('Companies House number (quote it so YAML keeps leading zeros: "01234567").'),
    registered_in: z.enum([...UK_REGIONS, 'other']).optional().describe('The jurisdiction of registration.'),
    parent: id.optional().describe('The id of the entity that owns this one, for a group.'),
    trading_names: z.array(shortText).default([]).describe('Names the entity trades under.'),
    registered_address: address.optional(),
    trading_address: address.optional(),
    ico_registration: z
      .string()
      .regex(/^[A-Z]{1,2}[0-9]{6,8}$/, 'an ICO registration number like "ZA123456"')
      .optional()
      .describe('Registration number with the ICO (data protection fee register).'),
  })
  .describe('A legal entity the declaration covers.');

export const LAWFUL_BASES = [
  'consent',
  'contract',
  'legal-obligation',
  'vital-interests',
  'public-task',
  'recognised-legitimate-interest',
  'legitimate-interests',
] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];

/** Art 6(1) letters, for the notice and the record of processing. */
export const LAWFUL_BASIS_ARTICLE: Record<LawfulBasis, string> = {
  consent: 'Art 6(1)(a)',
  contract: 'Art 6(1)(b)',
  'legal-obligation': 'Art 6(1)(c)',
  'vital-interests': 'Art 6(1)(d)',
  'public-task': 'Art 6(1)(e)',
  'recognised-legitimate-interest': 'Art 6(1)(ea)',
  'legitimate-interests': 'Art 6(1)(f)',
};

/** The fixed list in Annex 1 of UK GDPR as amended by the Data (Use and Access) Act 2025. */
export const RECOGNISED_INTERESTS = [
  'disclosure-to-public-body',
  'national-security-defence',
  'emergencies',
  'crime',
  'safeguarding',
] as const;

export const SPECIAL_CATEGORIES = [
  'racial-or-ethnic-origin',
  'political-opinions',
  'religious-or-philosophical-beliefs',
  'trade-union-membership',
  'genetic',
  'biometric',
  'health',
  'sex-life-or-orientation',
] as const;

/** Art 9(2) conditions, by letter. */
export const ART9_CONDITIONS = {
  'explicit-consent': 'Art 9(2)(a)',
  'employment-social-security': 'Art 9(2)(b)',
  'vital-interests': 'Art 9(2)(c)',
  'not-for-profit-body': 'Art 9(2)(d)',
  'made-public-by-subject': 'Art 9(2)(e)',
  'legal-claims': 'Art 9(2)(f)',
  'substantial-public-interest': 'Art 9(2)(g)',
  'health-or-social-care': 'Art 9(2)(h)',
  'public-health': 'Art 9(2)(i)',
  'archiving-research-statistics': 'Art 9(2)(j)',
} as const;
export type Art9Condition = keyof typeof ART9_CONDITIONS;
const art9Keys = Object.keys(ART9_CONDITIONS) as [Art9Condition, ...Art9Condition[]];

export const STORAGE_MODES = ['stored', 'reference-only', 'never'] as const;

export const IDENTIFIER_KINDS = ['email', 'phone', 'customer-number', 'other'] as const;

/** What a field holds: decides how a value is checked, normalised and indexed. */
export const FIELD_TYPES = ['text', 'name', 'email', 'phone', 'postal-address', 'postcode', 'date', 'number', 'money', 'url', 'reference', 'free-text'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const dataField = z
  .strictObject({
    id,
    label: shortText.describe('The field as people call it, e.g. "Surname", "Billing address".'),
    type: z.enum(FIELD_TYPES).default('text').describe('What the field holds: text, name, email, phone, postal-address, postcode, date, number, money, url, reference or free-text.'),
    identifier: z.boolean().default(false).describe('The field identifies a person and is searchable by exact match (a blind index per field).'),
    aliases: z.array(shortText).default([]).describe('Other column names this field answers to on import, e.g. "Last name", "Family name".'),
    required: z.boolean().default(false).describe('A record of this category must hold this field.'),
  })
  .describe('One labelled value inside a data category (surname, mobile, billing address).');
export type DataField = z.infer<typeof dataField>;

const dataCategory = z
  .strictObject({
    id,
    name: shortText.describe('The category as the notice names it, e.g. "Contact details".'),
    description: text.optional().describe('What it covers, in plain words.'),
    examples: z.array(shortText).default([]).describe('Items in this category, in plain words: "name", "email address".'),
    special_category: z
      .enum(SPECIAL_CATEGORIES)
      .optional()
      .describe('Set when this is special-category data under Art 9 (health, biometric …).'),
    criminal_offence: z.boolean().default(false).describe('Data about criminal convictions and offences (Art 10).'),
    storage: z
      .enum(STORAGE_MODES)
      .default('stored')
      .describe('"never": Steward refuses to store it (card numbers, CVV). "reference-only": only a token or reference from another system, e.g. a payment provider token and last four digits.'),
    fields: z
      .array(dataField)
      .optional()
      .describe('The labelled fields a record of this category holds (name, email, phone inside "Contact details"). Without fields the category holds one free-text value.'),
    identifier: z
      .enum(IDENTIFIER_KINDS)
      .optional()
      .describe('Deprecated: mark an identifier field instead (fields[].identifier). Still accepted: the category is then one field of that kind.'),
    restricted_to_roles: z
      .array(id)
      .optional()
      .describe('Only users holding one of these roles may read records of this category (e.g. call recordings for the DPO only).'),
    provided_by_subject: z
      .boolean()
      .optional()
      .describe('The person gave us this data themselves (matters for the right to data portability).'),
  })
  .describe('A kind of personal data the organisation holds.');

const relationship = z
  .strictObject({
    id,
    name: shortText.describe('How the notice names people in this relationship, e.g. "Customer".'),
    description: text.optional().describe('Who is in it, in plain words.'),
    role: z
      .enum(['controller', 'processor'])
      .default('controller')
      .describe('Whether the organisation decides how this data is used (controller) or handles it for a client (processor).'),
    on_behalf_of: shortText.optional().describe('For processor relationships: whose instructions we follow.'),
    subscriber_types: z
      .array(z.enum(['individual', 'corporate']))
      .optional()
      .describe('PECR subscriber types this relationship covers: individual (incl. sole traders and non-limited partnerships) or corporate.'),
    default_purposes: z
      .array(id)
      .optional()
      .describe(
        'The purposes this relationship\'s records are collected for when a record or import names none (each must cover the relationship). Without them, a record gets every purpose using its category only when those purposes keep it for the same period; otherwise the purposes must be named.',
      ),
  })
  .describe('A relationship a person can have with the organisation: customer, supplier, candidate …');

export const SOURCE_KINDS = [
  'data-subject',
  'generated',
  'client',
  'employer',
  'purchased-list',
  'public-register',
  'public-source',
  'exhibition',
  'introducer',
  'recruitment-agency',
  'credit-reference-agency',
  'third-party',
] as const;

const source = z
  .strictObject({
    id,
    name: shortText.describe('The source as the notice names it, e.g. "Exhibitions and trade shows".'),
    kind: z.enum(SOURCE_KINDS).describe('"data-subject" means collected from the person themselves (Art 13); anything else is Art 14.'),
    publicly_accessible: z.boolean().default(false).describe('Whether the source is publicly accessible (Art 14(2)(f)).'),
    description: text.optional().describe('More about the source.'),
  })
  .describe('Where personal data comes from.');

export const SAFEGUARDS = [
  'adequacy',
  'idta',
  'eu-scc-with-uk-addendum',
  'binding-corporate-rules',
  'uk-us-data-bridge',
  'art49-derogation',
  'eu-us-privacy-shield',
  'none',
] as const;
export type Safeguard = (typeof SAFEGUARDS)[number];

export const SAFEGUARD_LABEL: Record<Safeguard, string> = {
  adequacy: 'UK adequacy regulations',
  idta: 'the UK International Data Transfer Agreement (IDTA)',
  'eu-scc-with-uk-addendum': 'the EU Standard Contractual Clauses with the UK Addendum',
  'binding-corporate-rules': 'binding corporate rules',
  'uk-us-data-bridge': 'the UK Extension to the EU-US Data Privacy Framework (UK-US data bridge)',
  'art49-derogation': 'a specific exception under Art 49 UK GDPR',
  'eu-us-privacy-shield': 'the EU-US Privacy Shield (invalid since 16 July 2020)',
  none: 'no safeguard',
};

/** The terms Art 28(3)(a)–(h) requires a contract with a processor to contain. */
export const ART28_TERMS = [
  'documented-instructions',
  'confidentiality',
  'security',
  'sub-processors',
  'assistance-with-rights',
  'assistance-with-compliance',
  'deletion-or-return',
  'audits-and-information',
] as const;
export type Art28Term = (typeof ART28_TERMS)[number];

/** The outcome of the "data protection test" for a transfer under appropriate safeguards (Art 46(1A), 2025 Act). */
export const TRANSFER_TEST_OUTCOMES = ['met', 'met-with-measures', 'not-met'] as const;

const transferAssessment = z
  .strictObject({
    date: isoDate.describe('When the assessment was made.'),
    outcome: z.enum(TRANSFER_TEST_OUTCOMES).describe('Whether the protection abroad is not materially lower than in the UK: met, met with extra measures, or not met.'),
    reference: shortText.describe('Where the assessment is kept: a document reference or link.'),
  })
  .describe('The transfer risk assessment / data protection test for a transfer under appropriate safeguards (UK GDPR Art 46(1A)).');

const agreement = z
  .strictObject({
    link: url.optional().describe('Link to the contract or data processing agreement.'),
    signed: isoDate.optional().describe('When it was signed.'),
    review: isoDate.optional().describe('When it is next reviewed; Steward reminds the privacy contact before then.'),
    terms: z
      .array(z.enum(ART28_TERMS))
      .default([])
      .describe('For a processor, the Art 28(3) terms the contract covers: documented-instructions, confidentiality, security, sub-processors, assistance-with-rights, assistance-with-compliance, deletion-or-return, audits-and-information.'),
  })
  .describe('The contract or data processing agreement with a recipient.');

const subProcessor = z
  .strictObject({
    name: shortText.describe('The sub-processor\'s name.'),
    service: shortText.optional().describe('What it does for the processor.'),
    countries: z.array(countryCode).optional().describe('Where it holds or accesses the data.'),
    safeguard: z.enum(SAFEGUARDS).optional().describe('The transfer mechanism, for countries outside the UK and adequacy.'),
  })
  .describe('A sub-processor engaged by a processor (Art 28(2), (4)).');

const assurance = z
  .strictObject({
    kind: z.enum(['certification', 'questionnaire', 'audit', 'contractual-warranty']).describe('What the assurance is.'),
    name: shortText.optional().describe('E.g. "ISO/IEC 27001", "PCI DSS level 1", "Cyber Essentials Plus".'),
    date: isoDate.describe('When it was obtained or checked.'),
    reference: shortText.optional().describe('Where the evidence is kept.'),
  })
  .describe('The security assurance relied on in choosing a processor (Art 28(1): sufficient guarantees).');

const recipient = z
  .strictObject({
    id,
    name: shortText.describe('A named organisation ("MailChimp") or a category ("Credit reference agencies").'),
    is_category: z.boolean().default(false).describe('True when this entry describes a category of recipients rather than one named organisation.'),
    kind: z
      .enum(['processor', 'controller', 'joint-controller', 'public-authority', 'group-company'])
      .describe('processor: acts on our instructions; controller: decides for itself.'),
    countries: z.array(countryCode).optional().describe('Where the recipient holds or accesses the data.'),
    safeguard: z.enum(SAFEGUARDS).optional().describe('The transfer mechanism for countries outside the UK/EEA.'),
    safeguard_copy: shortText.optional().describe('How people can get a copy of the safeguard.'),
    contract: url.optional().describe('Link to the contract or data processing agreement.'),
    review_date: isoDate.optional().describe('When the arrangement is next reviewed.'),
    categories: z.array(id).optional().describe('The data categories this recipient receives.'),
    purpose: text.optional().describe('Why they receive it.'),
    agreement: agreement.optional(),
    sub_processors: z.array(subProcessor).optional().describe('For a processor: the sub-processors it uses.'),
    assurance: assurance.optional(),
    transfer_assessment: transferAssessment.optional(),
    disclosure: z
      .enum(['routine', 'occasional'])
      .optional()
      .describe('"routine": receives the data of everyone in its categories as a matter of course (a processor that hosts it); "occasional": only when a particular disclosure is made (an authority, a debt collector). Defaults to routine for processors and group companies, occasional otherwise. Decides whom Art 19 notices go to when no disclosure is logged.'),
  })
  .describe('Who receives personal data: processors, other controllers, authorities.');

const transfer = z
  .strictObject({
    id,
    description: text.describe('What is transferred, e.g. "Staff outside the EEA access customer records".'),
    countries: z.array(countryCode).min(1).optional().describe('Countries the data goes to or is accessed from; the linter asks for them when missing.'),
    safeguard: z.enum(SAFEGUARDS).optional().describe('The transfer mechanism used.'),
    safeguard_copy: shortText.optional().describe('How people can get a copy of the safeguard.'),
    recipient: id.optional().describe('The recipient entry this transfer belongs to, if any.'),
    transfer_assessment: transferAssessment.optional(),
  })
  .describe('An international transfer not already described by a recipient.');

/** ICO DPIA screening questions that a declaration cannot answer from its other facts. */
const dpiaScreening = z
  .strictObject({
    large_scale: z.boolean().optional().describe('Processing on a large scale (many people, much data, long or wide).'),
    systematic_monitoring: z.boolean().optional().describe('Systematic monitoring of people, e.g. CCTV of a public place, call monitoring, workplace monitoring.'),
    new_technology: z.boolean().optional().describe('Innovative technology, e.g. AI, smart devices, novel use of existing technology.'),
    profiling: z.boolean().optional().describe('Evaluating or scoring people (profiling), other than automated decisions declared under automated_decision.'),
    data_matching: z.boolean().optional().describe('Combining, comparing or matching data from several sources.'),
    invisible_processing: z.boolean().optional().describe('Data obtained from others where telling each person is impossible or would take disproportionate effort.'),
    tracking: z.boolean().optional().describe('Tracking people\'s location or behaviour, online or offline.'),
    children_or_vulnerable: z.boolean().optional().describe('Targeting children or other vulnerable people for marketing, profiling or online services.'),
    denial_of_service: z.boolean().optional().describe('Decisions about access to a product, service, opportunity or benefit based on the processing.'),
    risk_of_physical_harm: z.boolean().optional().describe('A breach could put someone\'s physical health or safety at risk.'),
  })
  .describe('Answers to the ICO\'s DPIA screening questions for this purpose; Steward derives the others (special category, criminal offence and biometric or genetic data, automated decisions) from the declaration.');

export const ASSESSMENT_KINDS = ['dpia', 'lia', 'transfer'] as const;

const assessment = z
  .strictObject({
    id,
    kind: z.enum(ASSESSMENT_KINDS).describe('dpia: data protection impact assessment (Art 35); lia: legitimate interests assessment; transfer: transfer risk assessment / data protection test.'),
    title: shortText.describe('What was assessed.'),
    purposes: z.array(id).optional().describe('The purposes it covers.'),
    recipients: z.array(id).optional().describe('The recipients it covers (transfer assessments).'),
    transfers: z.array(id).optional().describe('The transfers it covers.'),
    date: isoDate.describe('When it was completed.'),
    outcome: text.describe('The conclusion, in plain words.'),
    residual_risk: z.enum(['low', 'medium', 'high']).optional().describe('The risk left after the measures; high means the ICO must be consulted before processing (Art 36).'),
    owner: shortText.optional().describe('Who owns it (a job title, not a person\'s private details).'),
    next_review: isoDate.optional().describe('When it is next reviewed; Steward reminds the privacy contact before then.'),
    link: url.optional().describe('Where the full assessment is kept.'),
  })
  .describe('An assessment the organisation has made: DPIA, legitimate interests assessment or transfer assessment.');

export const TRIGGERS = [
  'collection',
  'last-contact',
  'contract-ended',
  'account-closed',
  'enquiry',
  'recruitment-concluded',
  'recording-made',
  'consent-given',
  'consent-withdrawn',
  'relationship-ended',
  'device-returned',
  'service-ended',
  'handed-to-client',
] as const;

const retentionRule = z
  .strictObject({
    id,
    description: text.optional().describe('The promise in plain words, as the notice should state it.'),
    duration: duration.optional().describe('How long after the trigger the data is kept.'),
    trigger: z.enum(TRIGGERS).optional().describe('The event that starts the period.'),
    until: z
      .enum(TRIGGERS)
      .optional()
      .describe('"For the duration of X": the data is kept until this event, then the action applies (with duration, that long after it).'),
    action: z.enum(['delete', 'anonymise']).default('delete').describe('What happens at the end: deleted, or anonymised (identifiers removed, statistical fields kept).'),
    statistical_fields: z.array(shortText).optional().describe('With anonymise: the fields kept, without identifiers, so statistics survive.'),
    unless: z
      .array(z.enum(['marketing-consent', 'legal-hold', 'open-contract']))
      .optional()
      .describe('Conditions that stop the action, e.g. "deleted unless you opted in to marketing".'),
    review_every: duration.optional().describe('A periodic review, e.g. every 3 years we decide whether we still have a legitimate interest.'),
    criteria: text.optional().describe('For periods that cannot be fixed: the criteria used to decide.'),
    legal_exceptions: z
      .array(z.enum(['legal-obligation', 'legal-claims', 'regulatory', 'public-interest']))
      .optional()
      .describe('Reasons the data may be kept longer, e.g. "unless we are required to keep it longer for regulatory reasons".'),
  })
  .describe('How long data is kept and what happens at the end.');

const requirement = z
  .strictObject({
    kind: z.enum(['statutory', 'contractual', 'contract-prerequisite', 'optional']).describe('Required by law, by a contract, needed to enter a contract, or optional.'),
    consequence: text.optional().describe('What happens if the person does not provide the data.'),
  })
  .describe('Whether providing the data is required by law or contract (Art 13(2)(e)).');

const automatedDecision = z
  .strictObject({
    logic: text.describe('Meaningful information about the logic involved.'),
    consequences: text.describe('The significance and envisaged consequences for the person.'),
    safeguards: text.optional().describe('How to get a human review or contest the decision.'),
  })
  .describe('Automated decision-making, including profiling, with legal or similarly significant effects.');

export const CHANNELS = ['email', 'phone', 'sms', 'post', 'social', 'in-person', 'web'] as const;

const purpose = z
  .strictObject({
    id,
    name: shortText.describe('The purpose as the notice states it, e.g. "Providing the services you ordered".'),
    description: text.optional().describe('More detail for the notice.'),
    business_function: shortText.optional().describe('The part of the business, for the record of processing.'),
    relationships: z.array(id).min(1).describe('Whose data this purpose uses.'),
    categories: z.array(id).min(1).describe('Which data categories it uses.'),
    lawful_basis: z.enum(LAWFUL_BASES).optional().describe('The Art 6(1) basis.'),
    legitimate_interest: text.optional().describe('With legitimate-interests: the interest pursued, in plain words.'),
    lia_reference: url.optional().describe('Link to the legitimate interests assessment.'),
    recognised_interest: z.enum(RECOGNISED_INTERESTS).optional().describe('With recognised-legitimate-interest: which one (Art 6(1)(ea), Annex 1).'),
    special_condition: z.enum(art9Keys).optional().describe('The Art 9(2) condition, required when any category is special.'),
    schedule1_condition: shortText.optional().describe('The DPA 2018 Schedule 1 condition, where the Art 9 condition needs one.'),
    requirement: requirement.optional(),
    sources: z.array(id).optional().describe('Where the data for this purpose comes from.'),
    recipients: z.array(id).optional().describe('Who receives data for this purpose.'),
    retention: id.optional().describe('The id of the retention rule.'),
    direct_marketing: z.boolean().default(false).describe('Whether this purpose is direct marketing (the right to object is then absolute).'),
    soft_opt_in: z
      .boolean()
      .default(false)
      .describe('PECR reg 22(3): email/SMS marketing of our own similar products to people whose details we got in a sale or negotiation, with an opt-out offered then and in every message.'),
    channels: z.array(z.enum(CHANNELS)).optional().describe('For marketing: the channels used.'),
    charity_soft_opt_in: z
      .boolean()
      .optional()
      .describe('PECR reg 22 as amended in 2025: a charity emails or texts supporters without consent, solely to further its charitable purposes, with details obtained when they expressed interest or gave support, and a free refusal offered then and in every message.'),
    automated_decision: automatedDecision.optional(),
    dpia: url.optional().describe('Link to the data protection impact assessment, if one was needed.'),
    dpia_screening: dpiaScreening.optional(),
    consent_record: url.optional().describe('Where consent records are kept, if not in Steward.'),
    data_location: shortText.optional().describe('Where the data is kept, for the record of processing.'),
  })
  .describe('Why personal data is processed, on what lawful basis.');

const cookie = z
  .strictObject({
    id,
    name: shortText.describe('The cookie or storage key name, e.g. "_ga".'),
    category: z.enum(['strictly-necessary', 'functional', 'analytics', 'marketing']).describe('Only strictly necessary ones may be set without consent (PECR reg 6).'),
    provider: shortText.optional().describe('Who sets it, if a third party.'),
    recipient: id.optional().describe('The recipient entry of a third party that sets or reads it.'),
    purpose: text.describe('What it is for, in plain words.'),
    duration: z.union([duration, z.enum(['session'])]).optional().describe('How long it lasts: a period, or "session".'),
    technology: z.enum(['cookie', 'local-storage', 'pixel', 'script', 'fingerprint']).default('cookie').describe('The kind of technology.'),
    exemption: z
      .enum(['statistics', 'appearance'])
      .optional()
      .describe('Used without consent under PECR Sch A1 (since 5 February 2026): solely for statistics to improve the service, or to adapt the appearance or functions to the user\'s preferences; needs cookie_controls.objection.'),
    shared_with: z.array(id).optional().describe('Recipients the data from this cookie is shared with (for statistics, only a processor helping to improve the service).'),
  })
  .describe('A cookie or similar technology on the website.');

export const IDENTITY_EVIDENCE = [
  'passport',
  'driving-licence',
  'birth-certificate',
  'utility-bill',
  'bank-statement',
  'mortgage-statement',
  'council-tax-statement',
  'national-identity-card',
  'account-details',
  'email-control',
] as const;

const rights = z
  .strictObject({
    channels: z
      .array(
        z.strictObject({
          type: z.enum(['email', 'phone', 'post', 'web-form', 'in-person']).describe('How the request is made.'),
          address: shortText.optional().describe('The email, number, postal address or web address.'),
        }),
      )
      .default([])
      .describe('How people can make requests.'),
    identity: z
      .strictObject({
        required: z.number().int().min(0).max(5).optional().describe('How many pieces of evidence are needed.'),
        accepted: z.array(z.enum(IDENTITY_EVIDENCE)).default([]).describe('The kinds of evidence accepted.'),
        note: text.optional().describe('Anything else people should know, e.g. "not a mobile phone bill".'),
      })
      .optional()
      .describe('Identity evidence asked for before answering a request.'),
    response_period: z
      .enum(['calendar-month', '28-days'])
      .default('calendar-month')
      .describe('One calendar month (the statutory period), or a fixed 28 days (allowed by the ICO).'),
    extension_allowed: z.boolean().default(true).describe('Whether complex or numerous requests may be extended by up to two further months.'),
    consent: z
      .strictObject({
        validity: duration.optional().describe('How long consent lasts before it must be renewed, e.g. "3 years".'),
        renewal_notice: duration.optional().describe('How long before it lapses a renewal request is sent.'),
        withdrawal_channels: z.array(z.enum(['email', 'phone', 'post', 'web-form', 'unsubscribe-link', 'in-person'])).default([]).describe('How people withdraw consent; it must be as easy as giving it.'),
      })
      .default({ withdrawal_channels: [] })
      .describe('How consent is kept fresh and withdrawn.'),
    age_of_digital_consent: z.number().int().min(0).max(21).default(13).describe('Below this age, parental consent is needed for online services (UK: 13).'),
  })
  .describe('How rights requests and consent are handled.');

const organisation = z
  .strictObject({
    name: shortText.describe('The name people know the organisation by.'),
    description: text.optional().describe('What the organisation does, for the notice.'),
    entities: z.array(entity).min(1).describe('The legal entities this declaration covers; the first one is the main controller unless "controller" says otherwise.'),
    controller: id.optional().describe('The id of the entity that is the controller named in the notice.'),
    contact: contact,
    privacy_contact: z
      .strictObject({
        kind: z.enum(['dpo', 'privacy-lead']).describe('"dpo" for a designated Data Protection Officer; otherwise the person or team who handles privacy.'),
        name: shortText.optional().describe('Their name, if published.'),
        title: shortText.optional().describe('Their job title, e.g. "IT Manager and Data Protection Officer".'),
        email: email.optional().describe('Their email address.'),
        phone: shortText.optional().describe('Their telephone number.'),
        address: address.optional(),
      })
      .optional()
      .describe('The Data Protection Officer, or whoever handles privacy questions.'),
    representative: z.strictObject({ name: shortText.describe('The representative\'s name.'), contact: contact }).optional().describe('A representative in the UK, for a controller based abroad.'),
    joint_controllers: z
      .array(
        z.strictObject({
          name: shortText.describe('The joint controller\'s name.'),
          contact: contact,
          responsibilities: text.optional().describe('The essence of the arrangement: who does what.'),
        }),
      )
      .optional()
      .describe('Organisations that decide jointly with us how the data is used.'),
    supervisory_authority: z
      .strictObject({
        name: shortText.describe('Its name.'),
        website: url.optional().describe('Its website.'),
        phone: shortText.optional().describe('Its helpline.'),
      })
      .default({ name: "Information Commissioner's Office", website: 'https://ico.org.uk', phone: '0303 123 1113' })
      .describe('Where people can complain; the ICO unless you say otherwise.'),
    bank_holiday_region: z.enum(UK_REGIONS).default('england-and-wales').describe('The UK region whose bank holidays count for deadlines.'),
    charity: z.boolean().optional().describe('A charity: may use the charity soft opt-in for email and text marketing (PECR reg 22 as amended in 2025).'),
    public_authority: z.boolean().default(false).describe('A public authority cannot rely on legitimate interests for its tasks, and must appoint a DPO.'),
  })
  .describe('Who the organisation is.');

/** Facts the notice states only when declared: where one is missing it says "Not stated" instead of guessing. */
const practices = z
  .strictObject({
    automated_decisions: z
      .boolean()
      .optional()
      .describe('Whether any decision about people is made by automated means alone with legal or similarly significant effects. false lets the notice say none is; true needs purposes with automated_decision.'),
    services_for_children: z
      .boolean()
      .optional()
      .describe('Whether online services are offered directly to children (Art 8): true adds the parental consent section, false lets the notice say they are not.'),
  })
  .describe('Facts the notice states only when declared.');

const cookieControls = z
  .strictObject({
    settings: url.optional().describe('Where people accept, refuse or change their cookie choices (a settings page, or the page with the banner).'),
    global_privacy_control: z.boolean().optional().describe('Whether the website treats a Global Privacy Control signal (Sec-GPC: 1) as a refusal of non-essential cookies.'),
    objection: text.optional().describe('How people object, simply and free of charge, to cookies exempt from consent for statistics or appearance (PECR Sch A1).'),
  })
  .describe('How people control cookies: the notice promises only what is declared here.');

const complaints = z
  .strictObject({
    channels: z
      .array(
        z.strictObject({
          type: z.enum(['web-form', 'email', 'phone', 'post', 'in-person']).describe('How a complaint is made.'),
          address: shortText.optional().describe('The web address, email, number or postal address.'),
        }),
      )
      .min(1)
      .describe('Ways to complain to the organisation (DPA 2018 s.164A: electronically and by other means).'),
    handled_by: shortText.optional().describe('Who deals with complaints, e.g. "Our Data Protection Officer".'),
  })
  .describe('Complaints to the organisation about its use of personal data (DPA 2018 s.164A, since 19 June 2026).');

export const policySchema = z
  .strictObject({
    version: z.literal(1).describe('The declaration format version. Always 1 for now.'),
    organisation,
    notice: z
      .strictObject({
        title: shortText.default('Privacy notice').describe('The heading of the published notice.'),
        effective_date: isoDate.describe('The date this version of the notice takes effect.'),
        applies_to: text.optional().describe('Who this notice is for.'),
        does_not_apply_to: text.optional().describe('Who it is not for, e.g. employees covered by a staff notice.'),
        changes: text.optional().describe('How people are told of changes.'),
        legal_references: z
          .array(shortText)
          .default([])
          .describe('Laws the organisation says it complies with, as written in its current policy; the linter flags repealed ones.'),
        website: url.optional().describe('Where the notice is published.'),
      })
      .describe('The published privacy notice.'),
    relationships: z.array(relationship).min(1),
    data_categories: z.array(dataCategory).min(1),
    sources: z.array(source).default([]),
    recipients: z.array(recipient).default([]),
    transfers: z.array(transfer).default([]),
    retention: z.array(retentionRule).default([]),
    purposes: z.array(purpose).min(1),
    cookies: z.array(cookie).default([]),
    assessments: z.array(assessment).default([]),
    rights: rights.default({
      channels: [],
      response_period: 'calendar-month',
      extension_allowed: true,
      consent: { withdrawal_channels: [] },
      age_of_digital_consent: 13,
    }),
    security_measures: z.array(shortText).default([]).describe('Technical and organisational security measures, for the record of processing.'),
    practices: practices.optional(),
    cookie_controls: cookieControls.optional(),
    complaints: complaints.optional(),
  })
  .describe('A Steward declaration: an organisation\'s processing of personal data.');

export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type Purpose = Policy['purposes'][number];
export type DataCategory = Policy['data_categories'][number];
export type Relationship = Policy['relationships'][number];
export type Recipient = Policy['recipients'][number];
export type RetentionRule = Policy['retention'][number];
export type Source = Policy['sources'][number];
export type Transfer = Policy['transfers'][number];
export type Cookie = Policy['cookies'][number];
export type Assessment = Policy['assessments'][number];
export type Address = z.output<typeof address>;
export type Contact = z.output<typeof contact>;
export type Entity = Policy['organisation']['entities'][number];

/** JSON Schema for editors (yaml-language-server, VS Code). Describes the file as written. */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { title: 'Steward declaration', ...schema };
}
