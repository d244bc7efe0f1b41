import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';
import { authenticate } from './auth.service.js';
import type { Actor } from './roles.js';
import { actorFromCookie, sessionCookie } from './session-cookie.js';

/** The bearer token of a request, if it sent one. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * The actor behind a request: from its bearer token (or the console's session cookie), or UNAUTHENTICATED. A session that must change
 * its password first is refused (PASSWORD_CHANGE_REQUIRED) except where `pendingPasswordOk`.
 */
export function actorFrom(rt: Runtime, req: FastifyRequest, opts: { pendingPasswordOk?: boolean } = {}): Promise<Actor> {
  // The console signs in with a session cookie instead (src/auth/session-cookie.ts).
  const cookie = req.headers.authorization === undefined ? sessionCookie(req) : undefined;
  if (cookie !== undefined) return actorFromCookie(rt, req, cookie);
  return authenticate(rt, bearerOf(req), req.ip, opts);
}

export const bearerSecurity = [{ bearer: [] as string[] }];
