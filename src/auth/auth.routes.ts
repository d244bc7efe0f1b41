import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { bearerOf, bearerSecurity } from './auth.http.js';
import { changePassword, createToken, createUser, listTokens, listUsers, login, logout, MAX_TOKEN_LIFETIME_DAYS, resetPassword, revokeToken, setUserDisabled, tokenIdOf } from './auth.service.js';
import { ROLES } from './roles.js';

const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  role: z.enum(ROLES),
  jobRoles: z.array(z.string()),
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
});

const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  kind: z.string(),
  userId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const authRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    app.post(
      `${API_PREFIX}/auth/login`,
      {
        config: { public: true }, schema: {
          summary: 'Sign in: exchange a username and password for a session token',
          tags: ['auth'],
          body: z.object({ username: z.string().min(1).max(63), password: z.string().min(1).max(1024) }),
          response: { 200: z.object({ token: z.string(), expiresAt: z.string(), user: userSchema }), ...errorResponses },
        },
      },
      async (req) => login(deps, req.body.username, req.body.password, req.ip),
    );

    app.post(
      `${API_PREFIX}/auth/logout`,
      { config: { public: true }, schema: { summary: 'Sign out: revoke the token used (a session or an API token, any role)', tags: ['auth'], security: bearerSecurity, response: { 204: z.null(), ...errorResponses } } },
      async (req, reply) => {
        await logout(deps, bearerOf(req), req.ip);
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${API_PREFIX}/auth/password`,
      {
        config: { pendingPasswordOk: true }, schema: {
          summary: 'Change your own password (signed in with a password; the current one is required). Ends your other sessions',
          tags: ['auth'],
          security: bearerSecurity,
          body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().max(1024) }),
          response: { 200: z.object({ user: userSchema }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        const session = await tokenIdOf(deps, bearerOf(req)!);
        return { user: await changePassword(deps, actor, req.body.currentPassword, req.body.newPassword, session) };
      },
    );

    app.get(
      `${API_PREFIX}/auth/me`,
      {
        config: { pendingPasswordOk: true }, schema: {
          summary: 'Who the token belongs to',
          tags: ['auth'],
          security: bearerSecurity,
          response: { 200: z.object({ id: z.string(), kind: z.string(), role: z.enum(ROLES), jobRoles: z.array(z.string()), mustChangePassword: z.boolean() }), ...errorResponses },
        },
      },
      async (req) => {
        const a = req.actor;
        return { id: a.id, kind: a.kind, role: a.role, jobRoles: [...a.jobRoles], mustChangePassword: a.mustChangePassword === true };
      },
    );

    app.post(
      `${API_PREFIX}/users`,
      {
        schema: {
          summary: 'Create a user (owner only); the password is returned once (mustChangePassword: it is one-time, replaced at first sign-in)',
          tags: ['auth'],
          security: bearerSecurity,
          body: z.object({
            username: z.string().max(63),
            role: z.enum(ROLES),
            displayName: z.string().max(200).optional(),
            jobRoles: z.array(z.string().max(64)).max(20).optional(),
            password: z.string().max(1024).optional(),
            mustChangePassword: z.boolean().optional().describe('the password is one-time: the user must choose their own at first sign-in'),
          }),
          response: { 201: z.object({ user: userSchema, password: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        return reply.status(201).send(await createUser(deps, actor, req.body));
      },
    );

    app.get(
      `${API_PREFIX}/users`,
      { schema: { summary: 'List users (owner only)', tags: ['auth'], security: bearerSecurity, response: { 200: z.object({ users: z.array(userSchema) }), ...errorResponses } } },
      async (req) => ({ users: await listUsers(deps, req.actor) }),
    );

    app.post(
      `${API_PREFIX}/tokens`,
      {
        schema: {
          summary: 'Create an API token scoped to a role (your own or one below it); the token is returned once',
          tags: ['auth'],
          security: bearerSecurity,
          body: z.object({ name: z.string().min(1).max(100), role: z.enum(ROLES).optional(), expiresInDays: z.number().int().min(1).max(MAX_TOKEN_LIFETIME_DAYS).optional() }),
          response: { 201: z.object({ token: z.string(), details: tokenSchema }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const { token, view } = await createToken(deps, actor, req.body);
        return reply.status(201).send({ token, details: view });
      },
    );

    app.get(
      `${API_PREFIX}/tokens`,
      {
        schema: {
          summary: 'Your tokens and sessions (everyone\'s with ?everyone=true, owner only): name, role, created, last used, expiry; never the secret',
          tags: ['auth'],
          security: bearerSecurity,
          querystring: z.object({ everyone: z.enum(['true', 'false']).optional(), all: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ tokens: z.array(tokenSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ tokens: await listTokens(deps, req.actor, { everyone: req.query.everyone === 'true', all: req.query.all === 'true' }) }),
    );

    const userParams = z.object({ id: z.string().min(1).max(64) });
    app.post(
      `${API_PREFIX}/users/:id/disable`,
      { schema: { summary: 'Disable a user (owner, signed in): they cannot sign in and their sessions and tokens stop working', tags: ['auth'], security: bearerSecurity, params: userParams, response: { 200: z.object({ user: userSchema }), ...errorResponses } } },
      async (req) => ({ user: await setUserDisabled(deps, req.actor, req.params.id, true) }),
    );
    app.post(
      `${API_PREFIX}/users/:id/enable`,
      { schema: { summary: 'Enable a disabled user again (owner, signed in)', tags: ['auth'], security: bearerSecurity, params: userParams, response: { 200: z.object({ user: userSchema }), ...errorResponses } } },
      async (req) => ({ user: await setUserDisabled(deps, req.actor, req.params.id, false) }),
    );
    app.post(
      `${API_PREFIX}/users/:id/password-reset`,
      {
        schema: {
          summary: 'Give a user a new one-time password (owner, signed in), returned once; they must change it at their next sign-in, and their sessions end',
          tags: ['auth'],
          security: bearerSecurity,
          params: userParams,
          response: { 200: z.object({ user: userSchema, password: z.string() }), ...errorResponses },
        },
      },
      async (req) => resetPassword(deps, req.actor, req.params.id),
    );

    app.delete(
      `${API_PREFIX}/tokens/:id`,
      {
        schema: { summary: 'Revoke a token', tags: ['auth'], security: bearerSecurity, params: z.object({ id: z.uuid() }), response: { 204: z.null(), ...errorResponses } },
      },
      async (req, reply) => {
        await revokeToken(deps, req.actor, req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
