/**
 * The cookie banner over HTTP.
 *
 * Public, for the organisation's website (another origin): `GET /cookies/banner.js`, the banner;
 * `POST /cookies/consent`, a visitor's choice into the log; `GET /cookies/consent/{consentId}`, a
 * visitor's own record (`?download=1` as a file). The consent routes answer CORS (preflight
 * included) for the allowed websites only: the `cookie_origins` setting, or else the origins of the
 * declaration's organisation website and notice address. They are rate-limited per address by
 * the one limiter (src/kernel/rate-limit.ts: in the database, so instances sharing PostgreSQL share
 * the limit, counted in batches so that it costs the banner no write per choice) and take small
 * bodies only.
 *
 * Staff: `GET /api/v1/cookies/consents/{consentId}` (audited) and `GET /api/v1/cookies/counts`.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { Config } from '../config/config.js';
import type { Policy } from '../policy/policy.schema.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { cookieChoiceLimit, enforceLimit, PUBLIC_LIMITS } from '../server/public-pages.js';
import { StewardError } from '../shared/errors.js';
import { bannerConfig, bannerScript } from './cookies.banner.js';
import { consentHistoryResponse, consentRecordResponse, countsResponse, presentCounts, presentHistory, presentRecord } from './cookies.presenter.js';
import { CHOICE_KEYS, CONSENT_METHODS, consentHistory, cookieCounts, lookUpConsent, NoticeVersions, recordCookieChoice } from './cookies.service.js';

/** A choice is a few hundred bytes; anything much larger is not from the banner. */
export const CONSENT_BODY_LIMIT = 4096;

/** The websites allowed to send choices: the setting, or the declaration's own web addresses. */
export function allowedOrigins(config: Pick<Config, 'cookieOrigins'>, policy: Policy): Set<string> {
  if (config.cookieOrigins) return new Set(config.cookieOrigins);
  const out = new Set<string>();
  for (const u of [policy.organisation.contact.web, policy.notice.website]) {
    if (!u || !/^https?:\/\//.test(u)) continue;
    try {
      out.add(new URL(u).origin);
    } catch {
      // Not a parseable address: the linter reports the declaration's web addresses.
    }
  }
  return out;
}

const consentBody = z.strictObject({
  consentId: z.string().max(64).optional(),
  choices: z.partialRecord(z.enum(CHOICE_KEYS), z.boolean()),
  method: z.enum(CONSENT_METHODS),
  noticeVersion: z.string().max(64),
  bannerVersion: z.string().max(64),
  gpc: z.boolean().default(false),
});

const consentIdParam = z.object({ consentId: z.string().max(64) });
const day = z.iso.date();

export const cookieRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const db = deps.database.db;
    const banner = bannerConfig(deps.policy);
    const versions = new NoticeVersions(deps.policy.hash);
    const origins = allowedOrigins(deps.config, deps.policy.policy);
    const choiceLimit = cookieChoiceLimit(deps.config);
    const scripts = { plain: bannerScript(banner, false), gpc: bannerScript(banner, true) };
    const tags = ['cookies'];

    /** The page's origin when it is allowed; undefined for a request with no Origin (not a browser page). */
    function checkOrigin(req: FastifyRequest, reply: FastifyReply): string | undefined {
      reply.header('vary', 'Origin');
      const origin = req.headers.origin;
      if (origin === undefined) return undefined;
      if (!origins.has(origin.toLowerCase())) {
        throw new StewardError('FORBIDDEN', 'this website may not use this cookie banner: add its origin to the cookie_origins setting');
      }
      reply.header('access-control-allow-origin', origin);
      return origin.toLowerCase();
    }

    const tooMany = 'too many requests from this address: try again in a minute';

    app.get('/cookies/banner.js', { schema: { hide: true } }, async (req, reply) => {
      const gpc = req.headers['sec-gpc'] === '1';
      return reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('vary', 'Sec-GPC')
        // Loaded by <script src> from the organisation's website.
        .header('cross-origin-resource-policy', 'cross-origin')
        .send(gpc ? scripts.gpc : scripts.plain);
    });

    // CORS preflight: the banner posts JSON, which browsers ask about first.
    for (const url of ['/cookies/consent', '/cookies/consent/:consentId']) {
      app.options(url, { schema: { hide: true } }, async (req, reply) => {
        checkOrigin(req, reply);
        return reply
          .header('access-control-allow-methods', 'GET, POST')
          .header('access-control-allow-headers', 'content-type')
          .header('access-control-max-age', '600')
          .status(204)
          .send();
      });
    }

    app.post(
      '/cookies/consent',
      {
        bodyLimit: CONSENT_BODY_LIMIT,
        schema: {
          summary: 'Record a website visitor\'s cookie choice (public; called by the banner)',
          tags,
          body: consentBody,
          response: { 201: consentRecordResponse, ...errorResponses },
        },
        // Before the body is parsed, so a refused or malformed request still carries CORS headers
        // and the page can read why.
        onRequest: async (req, reply) => {
          checkOrigin(req, reply);
        },
      },
      async (req, reply) => {
        await enforceLimit(deps, choiceLimit, req, tooMany);
        const b = req.body;
        const origin = req.headers.origin?.toLowerCase();
        const record = await recordCookieChoice(db, deps.clock, banner, versions, {
          consentId: b.consentId,
          choices: b.choices,
          method: b.method,
          noticeVersion: b.noticeVersion,
          bannerVersion: b.bannerVersion,
          gpc: b.gpc || req.headers['sec-gpc'] === '1',
          ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'].slice(0, 1024) } : {}),
          ...(origin ? { origin } : {}),
        });
        return reply.status(201).send(presentRecord(record));
      },
    );

    app.get(
      '/cookies/consent/:consentId',
      {
        schema: {
          summary: 'A visitor\'s own cookie consent record, by the id in their cookie (public); ?download=1 for a file',
          tags,
          params: consentIdParam,
          querystring: z.object({ download: z.enum(['0', '1']).optional() }),
          response: { 200: consentHistoryResponse, ...errorResponses },
        },
        onRequest: async (req, reply) => {
          checkOrigin(req, reply);
        },
      },
      async (req, reply) => {
        await enforceLimit(deps, PUBLIC_LIMITS.cookieLookups, req, tooMany);
        const history = await consentHistory(db, req.params.consentId);
        if (req.query.download === '1') reply.header('content-disposition', 'attachment; filename="cookie-consent-record.json"');
        return presentHistory(req.params.consentId, history);
      },
    );

    app.get(
      `${API_PREFIX}/cookies/consents/:consentId`,
      {
        schema: {
          summary: 'Look up a website visitor\'s cookie consent record by its consent id (audited)',
          tags,
          security: bearerSecurity,
          params: consentIdParam,
          response: { 200: consentHistoryResponse, ...errorResponses },
        },
      },
      async (req) => presentHistory(req.params.consentId, await lookUpConsent(deps, req.actor, req.params.consentId)),
    );

    app.get(
      `${API_PREFIX}/cookies/counts`,
      {
        schema: {
          summary: 'Cookie choices per day: accept-all, reject-all and custom, GPC, and each category granted or refused',
          tags,
          security: bearerSecurity,
          querystring: z.object({ from: day, to: day }),
          response: { 200: countsResponse, ...errorResponses },
        },
      },
      async (req) => presentCounts(await cookieCounts(db, req.actor, { from: req.query.from, to: req.query.to })),
    );
  };
