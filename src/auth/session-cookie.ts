/**
 * Cookie sessions for the console. Signing in at /api/v1/auth/session makes the same session token
 * as POST /auth/login, but hands it over as an HttpOnly, SameSite=Strict cookie (Secure when the
 * public address is https), so script in the page never holds it.
 *
 * CSRF: a cookie rides along with any request the browser makes, so every write authenticated by
 * the cookie must also carry `x-steward-csrf`, a value derived from the session token. Only a page
 * that could read a same-origin response (the console, which got it from the sign-in or session
 * answer) knows it; a form or script on another site cannot set the header or learn the value.
 * SameSite=Strict already keeps the cookie off cross-site requests; the header is the second lock.
 *
 * A user who has never chosen their own password (the one-time password printed on first run, or
 * one an owner set) may use a cookie session only to change it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StewardError } from '../shared/errors.js';
import { authenticate, changePassword, tokenIdOf } from './auth.service.js';
import type { Actor } from './roles.js';
import type { AppContext } from '../kernel/context.js';

export const SESSION_COOKIE = 'steward_session';
export const CSRF_HEADER = 'x-steward-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The CSRF token for a session: a one-way function of the session token, so nothing is stored. */
export const csrfTokenFor = (sessionToken: string): string => createHash('sha256').update(`steward-csrf\0${sessionToken}`).digest('base64url');

/** The session token in the request's Cookie header, if any. */
export function sessionCookie(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

export function setSessionCookie(reply: FastifyReply, baseUrl: string, token: string, expiresAt: string, now: Date): void {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / 1000));
  const secure = baseUrl.startsWith('https:') ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}; Expires=${new Date(expiresAt).toUTCString()}${secure}`);
}

export function clearSessionCookie(reply: FastifyReply, baseUrl: string): void {
  const secure = baseUrl.startsWith('https:') ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT${secure}`);
}

/** Routes a user who must still replace a one-time password may call with a cookie session. */
const ALLOWED_BEFORE_PASSWORD_CHANGE = new Set(['/api/v1/auth/session', '/api/v1/auth/session/password', '/api/v1/auth/me']);

/** A password someone else chose (the first-run one, or an owner's reset) must be replaced first (users.must_change_password). */
export async function mustChangePassword(ctx: AppContext, userId: string): Promise<boolean> {
  const row = await ctx.database.db.selectFrom('users').select('must_change_password').where('id', '=', userId).executeTakeFirst();
  return row?.must_change_password === 1;
}

/** The actor behind a cookie session: the token is checked as a bearer token is, plus CSRF and the one-time-password rule. */
export async function actorFromCookie(ctx: AppContext, req: FastifyRequest, token: string): Promise<Actor> {
  // Until a one-time password is replaced, only the routes that replace it (and say who you are) answer.
  const actor = await authenticate(ctx, token, req.ip, { pendingPasswordOk: ALLOWED_BEFORE_PASSWORD_CHANGE.has(req.routeOptions.url ?? '') });
  if (!SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    const expected = Buffer.from(csrfTokenFor(token));
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new StewardError('FORBIDDEN', `a change made with a session cookie must carry the ${CSRF_HEADER} header from the sign-in answer`);
    }
  }
  return actor;
}

/** Replaces the signed-in user's password (auth.service's changePassword: current one checked and counted, flag cleared, other sessions ended). */
export async function changeOwnPassword(ctx: AppContext, actor: Actor, currentToken: string | undefined, input: { currentPassword: string; newPassword: string }): Promise<void> {
  const sessionId = currentToken ? await tokenIdOf(ctx, currentToken) : undefined;
  await changePassword(ctx, actor, input.currentPassword, input.newPassword, sessionId);
}
