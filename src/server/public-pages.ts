/**
 * What every route without sign-in shares (the preference and unsubscribe pages, the privacy
 * centre's request form and API, the complaint form, the cookie banner's endpoints): the page
 * layout, how form bodies are read, and every public rate limit, in one table, counted by the one
 * limiter (src/kernel/rate-limit.ts) per client address, so instances sharing a database share the limits.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { StewardError } from '../shared/errors.js';
import { escapeHtml } from '../shared/html.js';
import { hit, type LimitContext, type LimitRule } from '../kernel/rate-limit.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Page views are many and each limit generous: counted in batches, not one write per view. */
const VIEWS = { windowMs: MINUTE, batchMs: 250 };

/**
 * Every public limit, per client address. Pages: generous for people, tight for scripts. Codes
 * cost mail, so fewer (the email-code service has its own limits per address on top).
 */
export const PUBLIC_LIMITS = {
  consentPages: { name: 'consent-pages', limit: 60, ...VIEWS },
  preferenceCodes: { name: 'preference-codes', limit: 10, windowMs: HOUR },
  requestPages: { name: 'request-pages', limit: 30, ...VIEWS },
  requestCodes: { name: 'request-codes', limit: 10, windowMs: HOUR },
  requestApi: { name: 'request-api', limit: 30, ...VIEWS },
  requestApiCodes: { name: 'request-api-codes', limit: 10, windowMs: HOUR },
  complaintPages: { name: 'complaint-pages', limit: 30, ...VIEWS },
  complaintCodes: { name: 'complaint-codes', limit: 10, windowMs: HOUR },
  /** A visitor's own cookie record, which nobody needs often. */
  cookieLookups: { name: 'cookie-lookup', limit: 60, ...VIEWS },
} satisfies Record<string, LimitRule>;

/** Cookie choices per address and minute, as the setting says (a shared office address carries many visitors). */
export const cookieChoiceLimit = (config: Pick<Config, 'cookieRateLimit'>): LimitRule => ({ name: 'cookie-choice', limit: config.cookieRateLimit, ...VIEWS });

/** Counts a request from the client's address against a rule; false when over it. */
export async function withinLimit(ctx: LimitContext, rule: LimitRule, req: FastifyRequest): Promise<boolean> {
  return (await hit(ctx, rule, req.ip)).allowed;
}

/** For JSON routes: counts the request and refuses it (RATE_LIMITED, 429) when over the rule. */
export async function enforceLimit(ctx: LimitContext, rule: LimitRule, req: FastifyRequest, message = 'too many requests from your network: please wait a few minutes and try again'): Promise<void> {
  if (!(await withinLimit(ctx, rule, req))) throw new StewardError('RATE_LIMITED', message);
}

/**
 * Sets a plugin of public HTML forms up: every route in it counts against `rule`, answered with
 * `refuse` (a 429 page) when over it, and bodies are read as text and parsed by the route (forms
 * are tiny; RFC 8058 clients may send multipart, whose content a signed link makes unnecessary).
 */
export function publicForms(app: FastifyInstance, ctx: LimitContext, rule: LimitRule, refuse: (reply: FastifyReply) => FastifyReply): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req, reply) => {
    if (!(await withinLimit(ctx, rule, req))) return refuse(reply);
  });
}

/** A public page: names the organisation, never the person; no script; every value escaped. */
export function page(org: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · ${escapeHtml(org)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.5rem 1.2rem;border-radius:.3rem;border:1px solid #333;background:#1a4d8f;color:#fff;cursor:pointer}
input[type=email],input[type=text]{font:inherit;padding:.4rem;width:100%;max-width:22rem}
fieldset{border:1px solid #ccc;border-radius:.3rem;margin:1rem 0}label{display:block;margin:.3rem 0}
.note{color:#555;font-size:.9rem}</style></head>
<body><p class="note">${escapeHtml(org)}</p><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** The first step of a form that proves control of an email address: the address, for a code. */
export const emailStep = (action: string, maxlength = 320): string =>
  `<form method="post" action="${escapeHtml(action)}"><label>Email address <input type="email" name="email" required maxlength="${maxlength}" autocomplete="email"></label><button type="submit">Send me a code</button></form>`;

/** The code field of the second step. */
export const CODE_FIELD = '<label>Code <input type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autocomplete="one-time-code"></label>';
