import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';
import { authenticate } from './auth.service.js';
import type { Actor } from './roles.js';

/** The bearer token of a request, if it sent one. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * The actor behind a request: from its bearer token, or UNAUTHENTICATED. A session that must change
 * its password first is refused (PASSWORD_CHANGE_REQUIRED) except where `pendingPasswordOk`.
 */
export function actorFrom(rt: Runtime, req: FastifyRequest, opts: { pendingPasswordOk?: boolean } = {}): Promise<Actor> {
  return authenticate(rt, bearerOf(req), req.ip, opts);
}

export const bearerSecurity = [{ bearer: [] as string[] }];
