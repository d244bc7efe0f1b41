import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';
import { authenticate } from './auth.service.js';
import type { Actor } from './roles.js';

/** The actor behind a request: from its bearer token, or UNAUTHENTICATED. */
export function actorFrom(rt: Runtime, req: FastifyRequest): Promise<Actor> {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  return authenticate(rt, bearer, req.ip);
}

export const bearerSecurity = [{ bearer: [] as string[] }];
