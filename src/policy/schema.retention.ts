/**
 * The declaration's `retention` rules: how long data is kept, from which event, and what happens at
 * the end (storage limitation, Art 5(1)(e); stated in the notice under Art 13(2)(a)).
 */
import { z } from 'zod';
import { duration, id, shortText, text } from './schema.common.js';

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

export const retentionRule = z
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
