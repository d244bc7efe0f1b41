/**
 * The HTTP server: Fastify with Zod schemas on every route, OpenAPI generated from them, and one
 * error edge. Routes are registered per feature; each is thin (validate, authorise, call the
 * domain, present).
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { z } from 'zod';
import { auditRoutes } from '../audit/audit.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { policyRoutes } from '../policy/policy.routes.js';
import { registerRoutes } from '../register/register.routes.js';
import { importRoutes } from '../register/imports.routes.js';
import type { AppContext } from '../kernel/context.js';
import type { Config } from '../config/config.js';
import { countIfCardRefusal } from '../promises/card-refusals.js';
import { publishingRoutes } from '../policy/publishing.routes.js';
import { requestRoutes } from '../requests/requests.routes.js';
import { requestPages } from '../requests/requests.pages.js';
import { retentionRoutes } from '../retention/retention.routes.js';
import { consentRoutes } from '../consent/consent.routes.js';
import { breachRoutes } from '../breaches/breaches.routes.js';
import { accountabilityRoutes } from '../accountability/accountability.routes.js';
import { promisesRoutes } from '../promises/promises.routes.js';
import { cookieRoutes } from '../cookies/cookies.routes.js';
import { sessionCookieRoutes } from '../auth/session-cookie.routes.js';
import { dashboardRoutes } from '../console/dashboard.routes.js';
import { requestPreviewRoutes } from '../requests/requests.preview.routes.js';
import { consoleRoutes } from '../console/console.routes.js';
import { complaintPages, complaintRoutes } from '../complaints/complaints.routes.js';
import { API_PREFIX } from './api.js';
import { registerAuthentication } from '../auth/auth.http.js';
import { registerErrorHandling } from './errors.js';
import { registerInputGuard } from './input-guard.js';
import { landingPage } from './landing.js';
import { registerSecurityHeaders } from './security-headers.js';
import { consentConditions } from '../consent/consent.conditions.js';

export interface AppOptions {
  /** A pino logger, or false for none (tests). */
  logger: Logger | false;
}

/** A hop count becomes the function Fastify itself would build from it (its types take no number). */
const fastifyTrustProxy = (tp: Config['trustProxy']): boolean | string[] | ((addr: string, hop: number) => boolean) =>
  typeof tp === 'number' ? (_addr, hop) => hop < tp : tp;

export async function buildApp(deps: AppContext & AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger as FastifyBaseLogger } : { logger: false }),
    bodyLimit: deps.config.bodyLimit,
    // Identifiers and codes in query strings must never reach logs: log the route, not the URL.
    logController: new LogController({ disableRequestLogging: true }),
    // Off unless configured (trust_proxy): the client address drives the sign-in limits.
    trustProxy: fastifyTrustProxy(deps.config.trustProxy),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, (e) => countIfCardRefusal(deps.database.db, 'api', deps.clock.now(), e));

  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  registerSecurityHeaders(app, { docsPrefix: `${API_PREFIX}/docs`, consolePrefix: '/console' });
  registerInputGuard(app);
  registerAuthentication(app, deps, { apiPrefix: API_PREFIX, publicPrefixes: [`${API_PREFIX}/docs`] });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Steward API',
        version: '1',
        description: 'The personal-data register that keeps a privacy policy\'s promises. Errors are JSON `{ error: { code, message, details? } }` with a stable `code`.',
      },
      servers: [{ url: deps.config.baseUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A session token from POST /api/v1/auth/login, or an API token.' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: `${API_PREFIX}/docs`, uiConfig: { docExpansion: 'list', validatorUrl: null } });

  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true }, config: { public: true } }, async () => app.swagger());

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and database check',
        tags: ['system'],
        response: { 200: z.object({ status: z.literal('ok'), database: z.literal('ok') }), 503: z.object({ status: z.literal('unavailable'), database: z.literal('unreachable') }) },
      },
    },
    async (_req, reply) => {
      try {
        await sql`select 1`.execute(deps.database.db);
        return { status: 'ok' as const, database: 'ok' as const };
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, database: 'unreachable' as const });
      }
    },
  );

  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(landingPage(deps.policy)));

  await app.register(policyRoutes(deps));
  await app.register(publishingRoutes(deps));
  await app.register(authRoutes(deps));
  await app.register(registerRoutes(deps));
  await app.register(importRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(requestRoutes(deps));
  await app.register(requestPages(deps));
  await app.register(retentionRoutes(deps, { conditions: consentConditions }));
  await app.register(consentRoutes(deps));
  await app.register(breachRoutes(deps));
  await app.register(accountabilityRoutes(deps));
  await app.register(promisesRoutes(deps));
  await app.register(cookieRoutes(deps));
  await app.register(sessionCookieRoutes(deps));
  await app.register(dashboardRoutes(deps));
  await app.register(requestPreviewRoutes(deps));
  await app.register(consoleRoutes());
  await app.register(complaintRoutes(deps));
  await app.register(complaintPages(deps));
  return app;
}
