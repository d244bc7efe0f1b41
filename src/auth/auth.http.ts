import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';
import { authenticate } from './auth.service.js';
import type { Actor } from './roles.js';
import { actorFromCookie, sessionCookie } from './session-cookie.js';

/** The actor behind a request: from its bearer token (or the console's session cookie), or UNAUTHENTICATED. */
export function actorFrom(rt: Runtime, req: FastifyRequest): Promise<Actor> {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  const cookie = header === undefined ? sessionCookie(req) : undefined;
  if (cookie !== undefined) return actorFromCookie(rt, req, cookie);
  return authenticate(rt, bearer, req.ip);
}

export const bearerSecurity = [{ bearer: [] as string[] }];
