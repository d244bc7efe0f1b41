/**
 * The privacy centre's request form, as plain HTML for people (the JSON API under
 * /api/v1/privacy/requests does the same for other front ends):
 *
 *   GET  /privacy/requests          the rights in plain words, and the person's email address
 *   POST /privacy/requests/code     a code mailed to that address (same answer for every address)
 *   POST /privacy/requests/submit   the code, what they want and any details: the request is opened
 *                                   and its reference and date shown
 *
 * No script and no cookies; the pages name the organisation, never the person, and every value
 * is escaped. Proving control of the address is the identity check the declaration may accept
 * ("email-control"); anything more is asked for by staff afterwards.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isIsoDate, weekdayName } from '../deadline/plain-date.js';
import { formatDate } from '../policy/notice.text.js';
import type { AppContext } from '../kernel/context.js';
import { codeFormRoutes } from '../server/code-form.js';
import { sendHtml } from '../server/html.js';
import { CODE_FIELD, emailStep, page, PUBLIC_LIMITS, publicForms } from '../server/public-pages.js';
import { escapeHtml } from '../shared/html.js';
import { submitPublicRequest } from './requests.public.js';
import { REQUEST_TYPES, type RequestType } from './requests.store.js';

export const REQUEST_PAGES = { start: '/privacy/requests', code: '/privacy/requests/code', submit: '/privacy/requests/submit' } as const;

/** What each request asks for, in the person's words. */
export const REQUEST_TYPE_WORDS: Record<RequestType, string> = {
  access: 'A copy of the personal information you hold about me',
  rectification: 'Correct information about me that is wrong or incomplete',
  erasure: 'Delete the information you hold about me',
  restriction: 'Stop using my information for now, while something is sorted out',
  portability: 'My information in a format I can take to another organisation',
  objection: 'I object to how you use my information',
  'marketing-objection': 'Stop sending me marketing',
  'withdraw-consent': 'I withdraw a consent I gave you',
};

const LIMITS = { email: 320, name: 200, details: 5000 };

interface Fields {
  type: string;
  name: string;
  details: string;
}

/** "2026-04-02" → "Thursday 2 April 2026" (a calendar date: no time zone involved). */
const ukDate = (iso: string): string => (isIsoDate(iso) ? `${weekdayName(iso)} ${formatDate(iso)}` : iso);

function startPage(org: string, message?: string): string {
  return page(
    org,
    'Ask about your personal information',
    `${message ? `<p><strong>${escapeHtml(message)}</strong></p>` : ''}<p>You can ask ${escapeHtml(org)} for a copy of the personal information we hold about you, to correct it, to delete it, to stop or limit how we use it, or to stop marketing. It is free, and we answer within one month.</p>
<p>First, your email address: we send a code to it, so that we know the request comes from you.</p>
${emailStep(REQUEST_PAGES.code, LIMITS.email)}`,
  );
}

function detailsPage(org: string, email: string, message?: string, kept: Partial<Fields> = {}): string {
  const options = REQUEST_TYPES.map((t) => `<label><input type="radio" name="type" value="${t}" required${kept.type === t ? ' checked' : ''}> ${escapeHtml(REQUEST_TYPE_WORDS[t])}</label>`).join('\n');
  return page(
    org,
    'Your request',
    `<p>${escapeHtml(message ?? 'We have sent a six-digit code to your email address. It works for 15 minutes.')}</p>
<form method="post" action="${REQUEST_PAGES.submit}"><input type="hidden" name="email" value="${escapeHtml(email)}">
${CODE_FIELD}
<fieldset><legend>What would you like us to do?</legend>
${options}</fieldset>
<label>Your name (optional) <input type="text" name="name" maxlength="${LIMITS.name}" autocomplete="name" value="${escapeHtml(kept.name ?? '')}"></label>
<label>Anything that helps us find your information or understand your request (optional; no bank or card numbers, please)<br><textarea name="details" rows="5" cols="50" maxlength="${LIMITS.details}">${escapeHtml(kept.details ?? '')}</textarea></label>
<button type="submit">Send my request</button></form>`,
  );
}

function donePage(org: string, reference: string, dueOn: string): string {
  return page(
    org,
    'We have your request',
    `<p>Your reference is <strong>${escapeHtml(reference)}</strong>. We have emailed it to you too.</p>
<p>We will answer by <strong>${escapeHtml(ukDate(dueOn))}</strong>. If we need more information to be sure who you are, we will write to you, and the month starts when we have it.</p>`,
  );
}

export const requestPages =
  (deps: AppContext): FastifyPluginAsync =>
  async (app) => {
    const org = deps.policy.policy.organisation.name;
    publicForms(app, deps, PUBLIC_LIMITS.requestPages, (reply) => sendHtml(reply, 429, startPage(org, 'Too many requests from your network: please wait a few minutes and try again.')));
    codeFormRoutes<Fields>(app, deps, {
      purpose: 'request',
      paths: REQUEST_PAGES,
      codeLimit: PUBLIC_LIMITS.requestCodes,
      startPage: (message) => startPage(org, message),
      codePage: (email, message, kept) => detailsPage(org, email, message, kept),
      read: (form) => {
        const fields = {
          type: form.get('type') ?? '',
          name: (form.get('name') ?? '').trim().slice(0, LIMITS.name),
          details: (form.get('details') ?? '').trim().slice(0, LIMITS.details),
        };
        return { fields, problem: (REQUEST_TYPES as readonly string[]).includes(fields.type) ? undefined : 'Choose what you would like us to do.' };
      },
      submit: async ({ email, code, fields, ip }) => {
        const r = await submitPublicRequest(deps, { email, code, type: fields.type as RequestType, name: fields.name, details: fields.details }, ip);
        return r && { status: 201, html: donePage(org, r.reference, r.dueOn) };
      },
      refused: (fields, cardData) => (cardData ? { ...fields, details: '' } : fields),
    });
  };
