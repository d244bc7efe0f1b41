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
import type { Runtime } from '../runtime/runtime.js';
import type { Config } from '../config/config.js';
import { countIfCardRefusal } from '../promises/card-refusals.js';
import { registerErrorHandling } from './errors.js';
import { registerInputGuard } from './input-guard.js';
import { landingPage } from './landing.js';
import { registerSecurityHeaders } from './security-headers.js';

export interface AppDeps extends Runtime {
  /** A pino logger, or false for none (tests). */
  logger: Logger | false;
}

export const API_PREFIX = '/api/v1';

/** A hop count becomes the function Fastify itself would build from it (its types take no number). */
const fastifyTrustProxy = (tp: Config['trustProxy']): boolean | string[] | ((addr: string, hop: number) => boolean) =>
  typeof tp === 'number' ? (_addr, hop) => hop < tp : tp;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
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

  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());

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
  await app.register((await import('../policy/publishing.routes.js')).publishingRoutes(deps));
  await app.register(authRoutes(deps));
  await app.register(registerRoutes(deps));
  await app.register(importRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register((await import('../requests/requests.routes.js')).requestRoutes(deps));
  await app.register((await import('../requests/requests.pages.js')).requestPages(deps));
  await app.register((await import('../retention/retention.routes.js')).retentionRoutes(deps));
  await app.register((await import('../consent/consent.routes.js')).consentRoutes(deps));
  await app.register((await import('../breaches/breaches.routes.js')).breachRoutes(deps));
  await app.register((await import('../accountability/accountability.routes.js')).accountabilityRoutes(deps));
  await app.register((await import('../promises/promises.routes.js')).promisesRoutes(deps));
  await app.register((await import('../cookies/cookies.routes.js')).cookieRoutes(deps));
  await app.register((await import('../auth/session-cookie.routes.js')).sessionCookieRoutes(deps));
  await app.register((await import('../console/dashboard.routes.js')).dashboardRoutes(deps));
  await app.register((await import('../requests/requests.preview.routes.js')).requestPreviewRoutes(deps));
  await app.register((await import('../console/console.routes.js')).consoleRoutes());
  await app.register((await import('../complaints/complaints.routes.js')).complaintRoutes(deps));
  await app.register((await import('../complaints/complaints.routes.js')).complaintPages(deps));
  return app;
}
