/**
 * Authentication at the HTTP edge, once for every route: a preHandler hook works out who is
 * asking (bearer token or the console's session cookie) and sets `req.actor`, so handlers never
 * repeat it.
 *
 * Every route under the API prefix requires a signed-in actor unless it says otherwise with
 * `config: { public: true }` (sign-in, the public request form's API, the declaration's public
 * parts). Routes outside the API prefix (the privacy centre's pages, the cookie banner) are public
 * and must not read `req.actor`: reading it there throws UNAUTHENTICATED.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import { authenticate } from './auth.service.js';
import type { Actor } from './roles.js';
import { actorFromCookie, sessionCookie } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; set by the authentication hook before the handler runs. */
    readonly actor: Actor;
  }
  interface FastifyContextConfig {
    /** An API route anyone may call (the hook sets no actor). */
    public?: boolean;
    /** A signed-in user who must change their password first may still call it. */
    pendingPasswordOk?: boolean;
  }
}

/** The bearer token of a request, if it sent one. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * The actor behind a request: from its bearer token (or the console's session cookie), or UNAUTHENTICATED. A session that must change
 * its password first is refused (PASSWORD_CHANGE_REQUIRED) except where `pendingPasswordOk`.
 */
function actorOf(ctx: AppContext, req: FastifyRequest, opts: { pendingPasswordOk?: boolean } = {}): Promise<Actor> {
  // The console signs in with a session cookie instead (src/auth/session-cookie.ts).
  const cookie = req.headers.authorization === undefined ? sessionCookie(req) : undefined;
  if (cookie !== undefined) return actorFromCookie(ctx, req, cookie);
  return authenticate(ctx, bearerOf(req), req.ip, opts);
}

const ACTOR = Symbol('actor');
type WithActor = FastifyRequest & { [ACTOR]?: Actor };

export function registerAuthentication(app: FastifyInstance, ctx: AppContext, opts: { apiPrefix: string; publicPrefixes: readonly string[] }): void {
  app.decorateRequest('actor', {
    getter(this: WithActor): Actor {
      const actor = this[ACTOR];
      if (!actor) throw new StewardError('UNAUTHENTICATED', 'sign in first');
      return actor;
    },
  });
  app.addHook('preHandler', async (req: WithActor) => {
    const url = req.routeOptions.url;
    const config = req.routeOptions.config;
    if (url === undefined || config.public === true || !url.startsWith(opts.apiPrefix)) return;
    if (opts.publicPrefixes.some((p) => url.startsWith(p))) return;
    req[ACTOR] = await actorOf(ctx, req, { pendingPasswordOk: config.pendingPasswordOk === true });
  });
}

export const bearerSecurity = [{ bearer: [] as string[] }];
