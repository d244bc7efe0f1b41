import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../server/app.js';
import { API_PREFIX } from '../server/app.js';
import { errorResponses } from '../server/schemas.js';
import { hashToken } from './auth.service.js';
import { actorFrom, bearerSecurity } from './auth.http.js';
import { createToken, createUser, listUsers, login, revokeToken } from './auth.service.js';
import { ROLES } from './roles.js';

const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string().nullable(),
  role: z.enum(ROLES),
  jobRoles: z.array(z.string()),
  disabled: z.boolean(),
  createdAt: z.string(),
});

const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  kind: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const authRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    app.post(
      `${API_PREFIX}/auth/login`,
      {
        schema: {
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
      { schema: { summary: 'Sign out: revoke the session token used', tags: ['auth'], security: bearerSecurity, response: { 204: z.null(), ...errorResponses } } },
      async (req, reply) => {
        const actor = await actorFrom(deps, req);
        const bearer = req.headers.authorization!.slice('Bearer '.length).trim();
        const row = await deps.database.db.selectFrom('api_tokens').select('id').where('token_hash', '=', hashToken(bearer)).executeTakeFirstOrThrow();
        await revokeToken(deps, actor, row.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      `${API_PREFIX}/auth/me`,
      {
        schema: {
          summary: 'Who the token belongs to',
          tags: ['auth'],
          security: bearerSecurity,
          response: { 200: z.object({ id: z.string(), kind: z.string(), role: z.enum(ROLES), jobRoles: z.array(z.string()) }), ...errorResponses },
        },
      },
      async (req) => {
        const a = await actorFrom(deps, req);
        return { id: a.id, kind: a.kind, role: a.role, jobRoles: [...a.jobRoles] };
      },
    );

    app.post(
      `${API_PREFIX}/users`,
      {
        schema: {
          summary: 'Create a user (owner only); the password is returned once',
          tags: ['auth'],
          security: bearerSecurity,
          body: z.object({
            username: z.string().max(63),
            role: z.enum(ROLES),
            displayName: z.string().max(200).optional(),
            jobRoles: z.array(z.string().max(64)).max(20).optional(),
            password: z.string().max(1024).optional(),
          }),
          response: { 201: z.object({ user: userSchema, password: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = await actorFrom(deps, req);
        return reply.status(201).send(await createUser(deps, actor, req.body));
      },
    );

    app.get(
      `${API_PREFIX}/users`,
      { schema: { summary: 'List users (owner only)', tags: ['auth'], security: bearerSecurity, response: { 200: z.object({ users: z.array(userSchema) }), ...errorResponses } } },
      async (req) => ({ users: await listUsers(deps, await actorFrom(deps, req)) }),
    );

    app.post(
      `${API_PREFIX}/tokens`,
      {
        schema: {
          summary: 'Create an API token scoped to a role (your own or one below it); the token is returned once',
          tags: ['auth'],
          security: bearerSecurity,
          body: z.object({ name: z.string().min(1).max(100), role: z.enum(ROLES).optional(), expiresInDays: z.number().int().min(1).max(3650).optional() }),
          response: { 201: z.object({ token: z.string(), details: tokenSchema }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = await actorFrom(deps, req);
        const { token, view } = await createToken(deps, actor, req.body);
        return reply.status(201).send({ token, details: view });
      },
    );

    app.delete(
      `${API_PREFIX}/tokens/:id`,
      {
        schema: { summary: 'Revoke a token', tags: ['auth'], security: bearerSecurity, params: z.object({ id: z.uuid() }), response: { 204: z.null(), ...errorResponses } },
      },
      async (req, reply) => {
        await revokeToken(deps, await actorFrom(deps, req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
