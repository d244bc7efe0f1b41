/**
 * The declaration's `recipients` and `transfers`: processors and their contracts (Art 28), other
 * controllers and authorities, and transfers outside the UK with their safeguards (Chapter V,
 * Arts 44-49) and the data protection test for them (Art 46(1A)).
 */
import { z } from 'zod';
import { countryCode, id, isoDate, shortText, text, url } from './schema.common.js';

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

export const recipient = z
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

export const transfer = z
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
