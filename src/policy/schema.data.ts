/**
 * The declaration's data and the people it is about: `data_categories` with their fields (special
 * category data, Art 9; criminal offence data, Art 10), `relationships` (controller or processor,
 * Art 28) and `sources` (from the person, Art 13, or from elsewhere, Art 14).
 */
import { z } from 'zod';
import { id, shortText, text } from './schema.common.js';

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

export const dataCategory = z
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

export const relationship = z
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

export const source = z
  .strictObject({
    id,
    name: shortText.describe('The source as the notice names it, e.g. "Exhibitions and trade shows".'),
    kind: z.enum(SOURCE_KINDS).describe('"data-subject" means collected from the person themselves (Art 13); anything else is Art 14.'),
    publicly_accessible: z.boolean().default(false).describe('Whether the source is publicly accessible (Art 14(2)(f)).'),
    description: text.optional().describe('More about the source.'),
  })
  .describe('Where personal data comes from.');
