/**
 * The declaration's `cookies` and `cookie_controls`: each cookie or similar technology, and how
 * people accept, refuse or object to them (PECR reg 6, and Sch A1 as inserted in 2025).
 */
import { z } from 'zod';
import { duration, id, shortText, text, url } from './schema.common.js';

export const cookie = z
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

export const cookieControls = z
  .strictObject({
    settings: url.optional().describe('Where people accept, refuse or change their cookie choices (a settings page, or the page with the banner).'),
    global_privacy_control: z.boolean().optional().describe('Whether the website treats a Global Privacy Control signal (Sec-GPC: 1) as a refusal of non-essential cookies.'),
    objection: text.optional().describe('How people object, simply and free of charge, to cookies exempt from consent for statistics or appearance (PECR Sch A1).'),
  })
  .describe('How people control cookies: the notice promises only what is declared here.');
