/**
 * The building blocks every part of the declaration's format uses: ids, text, dates, web
 * addresses, country codes, periods of time, postal addresses and contact details.
 */
import { z } from 'zod';

export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes, like "customer-contact"')
  .max(64)
  .describe('A short identifier used to refer to this entry elsewhere in the file.');

export const text = z.string().trim().min(1, 'must not be empty').max(4000);
export const shortText = z.string().trim().min(1, 'must not be empty').max(300);
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'use the form YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'is not a real date');
export const url = z.string().trim().regex(/^(https?:\/\/|mailto:|\/)[^\s]+$/, 'must be a web address (https://…), a mailto: link or a path');
export const email = z.email('must be an email address');
export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'use a two-letter ISO 3166 country code in capitals, like "GB" or "US"')
  .describe('Two-letter ISO 3166-1 country code (GB, IE, US …).');

/**
 * A period of time: "6 years", "3 months", "28 days", "1 week", or ISO 8601 ("P6Y", "P3M").
 * Kept as written; retention/duration.ts turns it into calendar arithmetic.
 */
export const durationPattern = /^(?:(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)|P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,4})D)?)$/;
export const duration = z
  .string()
  .trim()
  .regex(durationPattern, 'write a period like "6 years", "3 months", "28 days" or ISO 8601 "P6Y"')
  .refine((s) => s !== 'P', 'an empty ISO 8601 period has no length')
  .describe('A period: "6 years", "3 months", "28 days", or ISO 8601 like "P6Y".');

export const address = z
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

export const contact = z
  .strictObject({
    email: email.optional().describe('Email address.'),
    phone: shortText.optional().describe('Telephone number, as people should dial it.'),
    address: address.optional(),
    web: url.optional().describe('Website.'),
    contact_form: url.optional().describe('Address of a contact form people can use.'),
    live_chat: url.optional().describe('Where a live chat is offered.'),
  })
  .describe('Ways to reach someone. Give at least one.');
