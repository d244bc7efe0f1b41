/**
 * Consent and marketing over HTTP: the staff API (record consent, audience check, suppression
 * list, TPS status, renewals) and the public pages (one-click unsubscribe per RFC 8058, renewal,
 * preference page), which need no sign-in, are rate-limited per IP and never say whether an
 * address is known.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import { authorise } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { codeFormRoutes } from '../server/code-form.js';
import { formOf, sendHtml } from '../server/html.js';
import { PUBLIC_LIMITS, publicForms } from '../server/public-pages.js';
import { AUDIENCE_LIMITS, checkAudience } from './audience.service.js';
import { presentAudience, presentConsentResult, presentOverview, audienceResponse, consentResultResponse, overviewResponse } from './consent.presenter.js';
import { CONSENT_ACTIONS, LIMITS, METHODS } from './consent.rules.js';
import { getConsent, objectToDirectMarketing, recordConsent } from './consent.service.js';
import { PUBLIC_PATHS, readRenewToken, readUnsubscribeToken } from './links.js';
import { askCode, askEmail, choicesPage, linkProblem, PREFERENCE_PAGES, renewConfirm, renewDone, unsubscribeConfirm, unsubscribeDone } from './pages.js';
import { knownAddress, preferenceChoices, savePreferences, unsubscribeByLink, verifyPreferenceCode } from './preferences.service.js';
import { renewByLink, sendRenewalRequests } from './renewal.service.js';
import { checkSuppression, exportSuppressions, liftSuppression, MARKETING_CHANNELS, SUPPRESSION_REASONS } from './suppression.service.js';
import { suppress } from './suppression.add.js';
import { importTpsRegister, tpsStatus } from './tps.service.js';
import { policyIndex } from '../policy/policy.index.js';

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/).max(64);
const channel = z.enum(MARKETING_CHANNELS);
const when = z.iso.datetime({ offset: true }).or(z.iso.date());

const consentBody = z.object({
  purpose: idText,
  channels: z.array(channel).min(1).max(LIMITS.channelsPerCall),
  action: z.enum(CONSENT_ACTIONS),
  method: z.enum([...METHODS, 'pre-ticked']),
  occurredAt: when.optional(),
  wording: z.string().max(LIMITS.wordingChars).optional(),
  source: idText.optional(),
  evidenceRef: z.string().max(LIMITS.evidenceChars).optional(),
  birthDate: z.iso.date().optional(),
  optOutOffered: z.boolean().optional(),
  parental: z.object({ method: z.enum(METHODS), wording: z.string().max(LIMITS.wordingChars).optional(), evidenceRef: z.string().max(LIMITS.evidenceChars).optional() }).optional(),
});

/** The signed token of a public link (?t=…), bounded; '' when absent. */
function tokenOf(req: FastifyRequest): string {
  const t = (req.query as Record<string, unknown> | undefined)?.t;
  return typeof t === 'string' && t.length <= 2048 ? t : '';
}

export const consentRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['consent and marketing'];
    const org = deps.policy.policy.organisation.name;
    const purposeName = (id: string) => policyIndex(deps.policy).purposes.get(id)?.name ?? 'our marketing';

    app.post(
      `${API_PREFIX}/subjects/:id/consent`,
      {
        schema: {
          summary: 'Record consent given, renewed or withdrawn, a parent\'s consent, or a PECR soft opt-in, for one purpose and its channels (append-only)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          body: consentBody,
          response: { 201: consentResultResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const b = req.body;
        const result = await recordConsent(deps, actor, {
          subjectId: req.params.id,
          purpose: b.purpose,
          channels: b.channels,
          action: b.action,
          method: b.method,
          occurredAt: b.occurredAt,
          wording: b.wording,
          source: b.source,
          evidenceRef: b.evidenceRef,
          birthDate: b.birthDate,
          optOutOffered: b.optOutOffered,
          parental: b.parental && { method: b.parental.method, wording: b.parental.wording, evidenceRef: b.parental.evidenceRef },
        });
        return reply.status(201).send(presentConsentResult(result));
      },
    );

    app.get(
      `${API_PREFIX}/subjects/:id/consent`,
      {
        schema: {
          summary: 'A person\'s consent: current state per purpose and channel, and the full history with evidence (audited)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          response: { 200: overviewResponse, ...errorResponses },
        },
      },
      async (req) => presentOverview(await getConsent(deps, req.actor, req.params.id)),
    );

    app.post(
      `${API_PREFIX}/subjects/:id/marketing-objection`,
      {
        schema: {
          summary: 'Objection to direct marketing (Art 21(3)): withdraws every marketing consent and suppresses every identifier for all marketing',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          body: z.object({ method: z.enum(METHODS) }),
          response: { 200: z.object({ withdrawn: z.number(), suppressed: z.number() }), ...errorResponses },
        },
      },
      async (req) => objectToDirectMarketing(deps, req.actor, req.params.id, req.body.method),
    );

    app.post(
      `${API_PREFIX}/marketing/audience-check`,
      {
        // A million addresses is about 30 MB of JSON.
        bodyLimit: 64 * 1024 * 1024,
        schema: {
          summary: 'Before a campaign: every recipient allowed or blocked, with the reason. Recipients are email addresses or phone numbers, as in your list.',
          tags,
          security: bearerSecurity,
          body: z.object({
            purpose: idText,
            channel,
            recipients: z.array(z.string().max(AUDIENCE_LIMITS.identifierChars)).min(1).max(1_000_000),
            only: z.enum(['all', 'allowed', 'blocked']).default('all'),
          }),
          response: { 200: audienceResponse, ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        const r = await checkAudience(deps, actor, { purpose: req.body.purpose, channel: req.body.channel, recipients: req.body.recipients });
        return presentAudience(r, req.body.recipients, req.body.only);
      },
    );

    app.get(
      `${API_PREFIX}/marketing/suppressions`,
      {
        schema: {
          summary: 'Export the suppression list: keyed hashes, never identifiers (privacy officer, owner)',
          tags,
          security: bearerSecurity,
          response: { 200: z.object({ entries: z.array(z.object({ hash: z.string(), channel: z.string(), scope: z.string(), reason: z.string(), createdAt: z.string() })) }), ...errorResponses },
        },
      },
      async (req) => ({ entries: await exportSuppressions(deps, req.actor) }),
    );

    app.post(
      `${API_PREFIX}/marketing/suppressions`,
      {
        bodyLimit: 16 * 1024 * 1024,
        schema: {
          summary: 'Add to the suppression list: identifiers (email, phone), hashes from an export, or a person ("told us not to call": channel phone)',
          tags,
          security: bearerSecurity,
          body: z.object({
            identifiers: z.array(z.string().max(AUDIENCE_LIMITS.identifierChars)).max(200_000).optional(),
            subjectId: z.uuid().optional(),
            channel: z.enum([...MARKETING_CHANNELS, '*']),
            scope: z.union([idText, z.literal('*')]).optional(),
            reason: z.enum(SUPPRESSION_REASONS),
          }),
          response: { 200: z.object({ added: z.number(), alreadySuppressed: z.number(), rejected: z.array(z.object({ index: z.number(), problem: z.string() })) }), ...errorResponses },
        },
      },
      async (req) => {
        const b = req.body;
        return suppress(deps, req.actor, {
          channel: b.channel,
          reason: b.reason,
          identifiers: b.identifiers,
          subjectId: b.subjectId,
          scope: b.scope,
        });
      },
    );

    app.post(
      `${API_PREFIX}/marketing/suppressions/check`,
      {
        schema: {
          summary: 'Is this email address or phone number on the suppression list, and for which channels and purposes? (in the body: never in a URL)',
          tags,
          security: bearerSecurity,
          body: z.object({ identifier: z.string().min(1).max(AUDIENCE_LIMITS.identifierChars) }),
          response: {
            200: z.object({ suppressed: z.boolean(), entries: z.array(z.object({ channel: z.string(), scope: z.string(), reason: z.string(), createdAt: z.string() })) }),
            ...errorResponses,
          },
        },
      },
      async (req) => checkSuppression(deps, req.actor, req.body.identifier),
    );

    app.post(
      `${API_PREFIX}/marketing/suppressions/lift`,
      {
        schema: {
          summary: 'Lift suppression entries for an identifier or hash (privacy officer, owner), with a reason',
          tags,
          security: bearerSecurity,
          body: z.object({ identifier: z.string().min(1).max(AUDIENCE_LIMITS.identifierChars), channel: z.enum([...MARKETING_CHANNELS, '*']).optional(), scope: z.union([idText, z.literal('*')]).optional(), reason: z.string().min(1).max(200) }),
          response: { 200: z.object({ lifted: z.number() }), ...errorResponses },
        },
      },
      async (req) => {
        const b = req.body;
        return liftSuppression(deps, req.actor, { identifier: b.identifier, reason: b.reason, channel: b.channel, scope: b.scope });
      },
    );

    app.get(
      `${API_PREFIX}/marketing/tps`,
      {
        schema: {
          summary: 'TPS and CTPS registers: when each was last imported, and whether it is stale (older than 28 days)',
          tags,
          security: bearerSecurity,
          response: { 200: z.object({ registers: z.array(z.object({ register: z.string(), importedAt: z.string().nullable(), numbers: z.number(), stale: z.boolean() })) }), ...errorResponses },
        },
      },
      async (req) => ({ registers: await tpsStatus(deps, req.actor) }),
    );

    app.post(
      `${API_PREFIX}/marketing/tps/:register`,
      {
        // The TPS file is about 20 million numbers; a CTPS file far fewer. Bigger files: the CLI.
        bodyLimit: 64 * 1024 * 1024,
        schema: {
          summary: 'Replace the TPS or CTPS register with the numbers given (one per line of the file; stored as keyed hashes only); calls are screened against it for 28 days',
          tags,
          security: bearerSecurity,
          params: z.object({ register: z.enum(['tps', 'ctps']) }),
          body: z.object({ lines: z.array(z.string().max(200)).min(1).max(5_000_000) }),
          response: {
            200: z.object({ register: z.string(), numbers: z.number(), duplicates: z.number(), rejected: z.array(z.object({ line: z.number(), problem: z.string() })), importedAt: z.string() }),
            ...errorResponses,
          },
        },
      },
      async (req) => importTpsRegister(deps, req.actor, req.params.register, req.body.lines),
    );

    app.post(
      `${API_PREFIX}/marketing/renewals/run`,
      {
        schema: {
          summary: 'Send the consent renewal requests now due (also run on a schedule by steward serve); safe to repeat',
          tags,
          security: bearerSecurity,
          response: { 200: z.object({ due: z.number(), sent: z.number(), skipped: z.number(), failed: z.number() }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        authorise(actor, 'marketing:manage');
        return sendRenewalRequests(deps, deps.clock.now(), actor);
      },
    );

    // ——— public pages: no sign-in ———
    await app.register(async (pub) => {
      // RFC 8058 clients may send multipart, whose content we do not need (the signed link says everything).
      publicForms(pub, deps, PUBLIC_LIMITS.consentPages, (reply) => sendHtml(reply, 429, rateLimited(org)));

      const hidden = { schema: { hide: true } };
      pub.get(PUBLIC_PATHS.unsubscribe, hidden, async (req, reply) => {
        const token = tokenOf(req);
        const claim = readUnsubscribeToken(deps.keyring, token);
        if (!claim) return sendHtml(reply, 400, linkProblem(org, 'invalid'));
        return sendHtml(reply, 200, unsubscribeConfirm(org, `${PUBLIC_PATHS.unsubscribe}?t=${token}`, purposeName(claim.purpose)));
      });
      // RFC 8058 §3.2: the mail client POSTs "List-Unsubscribe=One-Click" to the URI; no cookies,
      // no redirects, no further confirmation.
      pub.post(PUBLIC_PATHS.unsubscribe, hidden, async (req, reply) => {
        const token = tokenOf(req);
        const r = await unsubscribeByLink(deps, token, req.ip);
        if (!r.ok) return sendHtml(reply, 400, linkProblem(org, r.reason));
        return sendHtml(reply, 200, unsubscribeDone(org, purposeName(r.purpose)));
      });

      pub.get(PUBLIC_PATHS.renew, hidden, async (req, reply) => {
        const token = tokenOf(req);
        const claim = readRenewToken(deps.keyring, token);
        if (!claim) return sendHtml(reply, 400, linkProblem(org, 'invalid'));
        if (Date.parse(claim.expiresAt) <= deps.clock.now().getTime()) return sendHtml(reply, 410, linkProblem(org, 'expired'));
        return sendHtml(reply, 200, renewConfirm(org, `${PUBLIC_PATHS.renew}?t=${token}`, purposeName(claim.purpose)));
      });
      pub.post(PUBLIC_PATHS.renew, hidden, async (req, reply) => {
        const token = tokenOf(req);
        const r = await renewByLink(deps, token, req.ip);
        if (!r.ok) return sendHtml(reply, r.reason === 'expired' ? 410 : 400, linkProblem(org, r.reason));
        return sendHtml(reply, 200, renewDone(org, purposeName(r.purpose), r.expiresAt));
      });

      codeFormRoutes(pub, deps, {
        purpose: 'preferences',
        paths: PREFERENCE_PAGES,
        codeLimit: PUBLIC_LIMITS.preferenceCodes,
        mailIf: (email) => knownAddress(deps, email),
        startPage: (message) => askEmail(org, message),
        codePage: (email, message) => askCode(org, email, message),
        read: () => ({ fields: {} }),
        submit: async ({ email, code, ip }) => {
          const session = await verifyPreferenceCode(deps, email, code, ip);
          return session ? { status: 200, html: choicesPage(org, session, (await preferenceChoices(deps, session)) ?? []) } : undefined;
        },
      });
      pub.post(PREFERENCE_PAGES.save, hidden, async (req, reply) => {
        const form = formOf(req);
        const session = (form.get('session') ?? '').slice(0, 2048);
        const wanted = new Set(form.getAll('choice').slice(0, 200));
        const r = await savePreferences(deps, session, wanted, form.get('stop-all') === 'yes', req.ip);
        if (!r) return sendHtml(reply, 400, askEmail(org, 'Your session has expired: ask for a new code.'));
        const choices = (await preferenceChoices(deps, session)) ?? [];
        return sendHtml(reply, 200, choicesPage(org, session, choices, 'Your choices are saved.'));
      });
    });
  };

const rateLimited = (org: string): string => askEmail(org, 'Too many requests from your network: please wait a few minutes and try again.');
