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
import { appendAudit } from '../audit/audit.service.js';
import type { Tables } from '../db/tables.js';
import { writeTx, type RegisterContext } from '../register/register.service.js';
import { StewardError } from '../shared/errors.js';
import { authenticate, hashPassword, hashToken, verifyPassword } from './auth.service.js';
import type { Actor } from './roles.js';

export const SESSION_COOKIE = 'steward_session';
export const CSRF_HEADER = 'x-steward-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module '../db/tables.js' {
  interface Tables {
    user_password_changes: { user_id: string; changed_at: string };
  }
}

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

export async function mustChangePassword(ctx: RegisterContext, userId: string): Promise<boolean> {
  const row = await ctx.database.db.selectFrom('user_password_changes').select('user_id').where('user_id', '=', userId).executeTakeFirst();
  return !row;
}

/** The actor behind a cookie session: the token is checked as a bearer token is, plus CSRF and the one-time-password rule. */
export async function actorFromCookie(ctx: RegisterContext, req: FastifyRequest, token: string): Promise<Actor> {
  const actor = await authenticate(ctx, token, req.ip);
  if (!SAFE_METHODS.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    const expected = Buffer.from(csrfTokenFor(token));
    const given = Buffer.from(typeof sent === 'string' ? sent : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new StewardError('FORBIDDEN', `a change made with a session cookie must carry the ${CSRF_HEADER} header from the sign-in answer`);
    }
  }
  if (actor.kind === 'user' && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(req.routeOptions.url ?? '') && (await mustChangePassword(ctx, actor.id))) {
    throw new StewardError('FORBIDDEN', 'choose your own password first: the one you signed in with was for one use only');
  }
  return actor;
}

/** Replaces the signed-in user's password after checking the current one; ends their other sessions. */
export async function changeOwnPassword(ctx: RegisterContext, actor: Actor, currentToken: string | undefined, input: { currentPassword: string; newPassword: string }): Promise<void> {
  if (actor.kind !== 'user') throw new StewardError('FORBIDDEN', 'only a signed-in user has a password to change; API tokens do not');
  const user = await ctx.database.db.selectFrom('users').selectAll().where('id', '=', actor.id).executeTakeFirst();
  if (!user) throw new StewardError('UNAUTHENTICATED', 'sign in first');
  if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
    await writeTx(ctx, (trx) => appendAudit(trx, ctx, actor, [{ action: 'auth.password-change-failed', details: {} }]));
    throw new StewardError('VALIDATION_FAILED', 'currentPassword: that is not your current password', [{ path: 'currentPassword', message: 'wrong password' }]);
  }
  if (input.newPassword.length < 12) {
    throw new StewardError('VALIDATION_FAILED', 'newPassword: use at least 12 characters', [{ path: 'newPassword', message: 'too short' }]);
  }
  if (input.newPassword === input.currentPassword) {
    throw new StewardError('VALIDATION_FAILED', 'newPassword: choose a password different from the current one', [{ path: 'newPassword', message: 'unchanged' }]);
  }
  const hash = await hashPassword(input.newPassword);
  const now = ctx.clock.now().toISOString();
  await writeTx(ctx, async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash }).where('id', '=', actor.id).execute();
    const row: Tables['user_password_changes'] = { user_id: actor.id, changed_at: now };
    await trx.insertInto('user_password_changes').values(row).onConflict((oc) => oc.column('user_id').doUpdateSet({ changed_at: now })).execute();
    // Whoever knew the old password may have signed in with it: end every other session.
    let others = trx.updateTable('api_tokens').set({ revoked_at: now }).where('user_id', '=', actor.id).where('kind', '=', 'session').where('revoked_at', 'is', null);
    if (currentToken) others = others.where('token_hash', '!=', hashToken(currentToken));
    await others.execute();
    await appendAudit(trx, ctx, actor, [{ action: 'auth.password-change', details: {} }]);
  });
}
