/**
 * The declaration's `rights` and `complaints`: how people make requests and prove who they are
 * (Arts 12-22), how consent is renewed and withdrawn (Art 7(3)), and how they complain to the
 * organisation (DPA 2018 s.164A).
 */
import { z } from 'zod';
import { duration, shortText, text } from './schema.common.js';

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

export const rights = z
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

export const complaints = z
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
