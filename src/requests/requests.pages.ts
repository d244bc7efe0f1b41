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
import { page } from '../consent/pages.js';
import { isIsoDate, weekdayName } from '../deadline/plain-date.js';
import { formatDate } from '../policy/notice.text.js';
import { countIfCardRefusal } from '../promises/card-refusals.js';
import { RateLimiter } from '../consent/rate-limit.js';
import type { AppContext } from '../kernel/context.js';
import { formOf, sendHtml } from '../server/html.js';
import { isStewardError } from '../shared/errors.js';
import { escapeHtml } from '../shared/html.js';
import { requestCode, submitPublicRequest } from './requests.public.js';
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

const LIMITS = { email: 320, code: 12, name: 200, details: 5000 };

/** "2026-04-02" → "Thursday 2 April 2026" (a calendar date: no time zone involved). */
const ukDate = (iso: string): string => (isIsoDate(iso) ? `${weekdayName(iso)} ${formatDate(iso)}` : iso);

function startPage(org: string, message?: string): string {
  return page(
    org,
    'Ask about your personal information',
    `${message ? `<p><strong>${escapeHtml(message)}</strong></p>` : ''}<p>You can ask ${escapeHtml(org)} for a copy of the personal information we hold about you, to correct it, to delete it, to stop or limit how we use it, or to stop marketing. It is free, and we answer within one month.</p>
<p>First, your email address: we send a code to it, so that we know the request comes from you.</p>
<form method="post" action="${REQUEST_PAGES.code}"><label>Email address <input type="email" name="email" required maxlength="${LIMITS.email}" autocomplete="email"></label><button type="submit">Send me a code</button></form>`,
  );
}

function detailsPage(org: string, email: string, message?: string, kept: { type?: string; name?: string; details?: string } = {}): string {
  const options = REQUEST_TYPES.map((t) => `<label><input type="radio" name="type" value="${t}" required${kept.type === t ? ' checked' : ''}> ${escapeHtml(REQUEST_TYPE_WORDS[t])}</label>`).join('\n');
  return page(
    org,
    'Your request',
    `<p>${escapeHtml(message ?? 'We have sent a six-digit code to your email address. It works for 15 minutes.')}</p>
<form method="post" action="${REQUEST_PAGES.submit}"><input type="hidden" name="email" value="${escapeHtml(email)}">
<label>Code <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code"></label>
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
    // Generous for people, tight for scripts; codes cost mail, so fewer.
    const pageLimiter = new RateLimiter(30, 60_000);
    const codeLimiter = new RateLimiter(10, 60 * 60_000);
    // Forms are tiny: bodies are read as text and parsed here.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
    app.addHook('onRequest', async (req, reply) => {
      if (!pageLimiter.hit(req.ip)) return sendHtml(reply, 429, startPage(org, 'Too many requests from your network: please wait a few minutes and try again.'));
    });
    const hidden = { schema: { hide: true } };

    app.get(REQUEST_PAGES.start, hidden, async (_req, reply) => sendHtml(reply, 200, startPage(org)));

    app.post(REQUEST_PAGES.code, hidden, async (req, reply) => {
      if (!codeLimiter.hit(req.ip)) return sendHtml(reply, 429, startPage(org, 'Too many codes asked for from your network: please try again in an hour.'));
      const email = (formOf(req).get('email') ?? '').trim().slice(0, LIMITS.email);
      try {
        const { delivery } = await requestCode(deps, email, req.ip);
        // Not awaited: the answer must take as long whatever the address.
        delivery.catch((e: unknown) => req.log.warn({ err: { type: (e as Error)?.name } }, 'request code mail failed'));
      } catch (e) {
        if (!isStewardError(e) || e.code !== 'VALIDATION_FAILED') throw e;
        return sendHtml(reply, 400, startPage(org, 'That is not an email address.'));
      }
      return sendHtml(reply, 200, detailsPage(org, email));
    });

    app.post(REQUEST_PAGES.submit, hidden, async (req, reply) => {
      const form = formOf(req);
      const email = (form.get('email') ?? '').trim().slice(0, LIMITS.email);
      const type = form.get('type') ?? '';
      const name = (form.get('name') ?? '').trim().slice(0, LIMITS.name);
      const details = (form.get('details') ?? '').trim().slice(0, LIMITS.details);
      const kept = { type, name, details };
      if (!(REQUEST_TYPES as readonly string[]).includes(type)) return sendHtml(reply, 400, detailsPage(org, email, 'Choose what you would like us to do.', kept));
      try {
        const r = await submitPublicRequest(
          deps,
          { email, code: (form.get('code') ?? '').slice(0, LIMITS.code), type: type as RequestType, ...(name ? { name } : {}), ...(details ? { details } : {}) },
          req.ip,
        );
        if (!r) return sendHtml(reply, 400, detailsPage(org, email, 'That code is not right, or it has expired. Check it, or go back and ask for a new one.', kept));
        return sendHtml(reply, 201, donePage(org, r.reference, r.dueOn));
      } catch (e) {
        if (!isStewardError(e) || (e.code !== 'VALIDATION_FAILED' && e.code !== 'FORBIDDEN_DATA')) throw e;
        await countIfCardRefusal(deps.database.db, 'public-form', deps.clock.now(), e);
        // The messages name the field and the problem, never the value; the details are not
        // shown back when they were the problem (they may hold a card number).
        const problem = e.code === 'FORBIDDEN_DATA' ? 'Please take out any bank or card numbers and send it again.' : e.message;
        return sendHtml(reply, 400, detailsPage(org, email, problem, { ...kept, details: e.code === 'FORBIDDEN_DATA' ? '' : details }));
      }
    });
  };
