/**
 * The declaration: an organisation's processing written down once, as YAML.
 *
 * This Zod schema is the single source of truth for the file format; each part of the declaration
 * is defined in its own file (schema.<part>.ts) and assembled here. The loader validates with it,
 * the JSON Schema published for editors is generated from it (`steward policy schema`), and the
 * field reference in docs/declaration.md is generated from its descriptions. Every object is
 * strict, so a misspelt key is an error pointing at its line rather than a silently ignored field.
 *
 * Some things the law requires are deliberately optional here (a purpose's lawful basis, a
 * recipient's country): a missing one is reported by the linter (policy.lint.ts) with a rule id
 * and a plain-English explanation, which helps a non-lawyer more than a bare "required".
 */
import { z } from 'zod';
import { dataCategory, relationship, source } from './schema.data.js';
import { address, contact, isoDate, shortText, text, url } from './schema.common.js';
import { recipient, transfer } from './schema.recipients.js';
import { assessment, purpose } from './schema.purposes.js';
import { cookie, cookieControls } from './schema.cookies.js';
import { complaints, rights } from './schema.rights.js';
import { retentionRule } from './schema.retention.js';
import { organisation } from './schema.organisation.js';

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
