/**
 * The declaration's `purposes` and `assessments`: why data is processed and on what lawful basis
 * (Art 6(1), Art 9(2)), whether people must provide it (Art 13(2)(e)), marketing under PECR,
 * automated decisions (Art 22), and the DPIAs and other assessments behind them (Art 35).
 */
import { z } from 'zod';
import { id, isoDate, shortText, text, url } from './schema.common.js';

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

export const assessment = z
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

export const purpose = z
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
