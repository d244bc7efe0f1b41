/**
 * The declaration's `organisation`: the legal entities it covers and which is the controller, how
 * to reach them, the privacy contact or DPO (Art 13(1)(a)-(b)), a UK representative (Art 27),
 * joint controllers (Art 26) and the supervisory authority people may complain to (Art 77).
 */
import { z } from 'zod';
import { address, contact, email, id, shortText, text, url } from './schema.common.js';

export const UK_REGIONS = ['england-and-wales', 'scotland', 'northern-ireland'] as const;

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

export const organisation = z
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
