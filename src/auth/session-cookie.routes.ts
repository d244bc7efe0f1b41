/**
 * The console's sign-in: a cookie session (see session-cookie.ts), the session's state for a page
 * that reloads, sign-out, and changing one's own password. Failed sign-ins go through the same
 * login() as POST /auth/login: the same limiter and the same audit entry.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { StewardError } from '../shared/errors.js';
import { hashToken, login, revokeToken } from './auth.service.js';
import { ROLES, can, type Actor, type Permission } from './roles.js';
import { changeOwnPassword, clearSessionCookie, csrfTokenFor, mustChangePassword, sessionCookie, setSessionCookie } from './session-cookie.js';

const PERMISSIONS: Permission[] = [
  'subjects:read', 'subjects:write', 'subjects:delete', 'subjects:export', 'audit:read', 'users:manage', 'tokens:create',
  'marketing:check', 'marketing:manage', 'breaches:report', 'breaches:read', 'breaches:manage', 'retention:read', 'retention:manage',
  'requests:open', 'requests:read', 'requests:manage',
];

const sessionSchema = z.object({
  user: z.object({ id: z.string(), username: z.string(), displayName: z.string().nullable(), role: z.enum(ROLES) }),
  /** What the role may do, so the console offers only that; the API checks every call anyway. */
  permissions: z.array(z.string()),
  expiresAt: z.string(),
  csrfToken: z.string(),
  mustChangePassword: z.boolean(),
});

const permissionsOf = (actor: Pick<Actor, 'role' | 'jobRoles' | 'kind' | 'id'>): string[] => PERMISSIONS.filter((p) => can(actor as Actor, p));

export const sessionCookieRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    app.post(
      `${API_PREFIX}/auth/session`,
      {
        config: { public: true }, schema: {
          summary: 'Sign in to the console: a session cookie (HttpOnly, SameSite=Strict) and the CSRF token its writes must send',
          tags: ['auth'],
          body: z.object({ username: z.string().min(1).max(63), password: z.string().min(1).max(1024) }),
          response: { 200: sessionSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { token, expiresAt, user } = await login(deps, req.body.username, req.body.password, req.ip);
        setSessionCookie(reply, deps.config.baseUrl, token, expiresAt, deps.clock.now());
        return {
          user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role },
          permissions: permissionsOf({ ...user, kind: 'user' }),
          expiresAt,
          csrfToken: csrfTokenFor(token),
          mustChangePassword: await mustChangePassword(deps, user.id),
        };
      },
    );

    app.get(
      `${API_PREFIX}/auth/session`,
      { schema: { summary: 'The console session the cookie stands for', tags: ['auth'], response: { 200: sessionSchema, ...errorResponses } } },
      async (req) => {
        const token = sessionCookie(req);
        if (!token) throw new StewardError('UNAUTHENTICATED', 'no console session: sign in');
        const actor = req.actor;
        const row = await deps.database.db
          .selectFrom('api_tokens')
          .innerJoin('users', 'users.id', 'api_tokens.user_id')
          .select(['users.id', 'users.username', 'users.display_name', 'api_tokens.expires_at'])
          .where('api_tokens.token_hash', '=', hashToken(token))
          .executeTakeFirstOrThrow();
        return {
          user: { id: row.id, username: row.username, displayName: row.display_name, role: actor.role },
          permissions: permissionsOf(actor),
          expiresAt: row.expires_at ?? '',
          csrfToken: csrfTokenFor(token),
          mustChangePassword: await mustChangePassword(deps, row.id),
        };
      },
    );

    app.delete(
      `${API_PREFIX}/auth/session`,
      { schema: { summary: 'Sign out of the console: ends the session and clears the cookie', tags: ['auth'], response: { 204: z.null(), ...errorResponses } } },
      async (req, reply) => {
        const token = sessionCookie(req);
        if (!token) throw new StewardError('UNAUTHENTICATED', 'no console session: sign in');
        const actor = req.actor;
        const row = await deps.database.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
        await revokeToken(deps, actor, row.id);
        clearSessionCookie(reply, deps.config.baseUrl);
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${API_PREFIX}/auth/session/password`,
      {
        schema: {
          summary: 'Change your own password from the console (needs the current one); ends your other sessions',
          tags: ['auth'],
          body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().max(1024) }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const header = req.headers.authorization;
        const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : sessionCookie(req);
        await changeOwnPassword(deps, actor, token, req.body);
        return reply.status(204).send(null);
      },
    );
  };
