/**
 * Test factories: the people, users and sessions most tests need, with defaults a test overrides
 * only where it matters to it. Prefer these to a per-file builder.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { createUser, ensureOwner } from '../../src/auth/auth.service.js';
import type { Actor, Role } from '../../src/auth/roles.js';
import { systemActor } from '../../src/kernel/actors.js';
import type { AppContext } from '../../src/kernel/context.js';
import { createSubject } from '../../src/register/register.service.js';
import { confirmMatch, openRequest, verifyRequest, type OpenInput } from '../../src/requests/requests.service.js';
import type { RequestView } from '../../src/requests/requests.view.js';
import { actorWith } from './runtime.js';
import { getSubject, type SubjectView } from '../../src/register/register.read.js';
import type { NewSubject } from '../../src/register/record.prepare.js';

/** The Authorization header for a bearer token. */
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });

/** Signs in over HTTP and returns the session token; fails the test if the sign-in fails. */
export async function signIn(app: FastifyInstance, username: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  expect(res.statusCode, `sign-in as ${username}`).toBe(200);
  return (res.json() as { token: string }).token;
}

/** The first owner (created if the database has none yet), signed in: their session token. */
export async function signInOwner(app: FastifyInstance, ctx: AppContext): Promise<string> {
  const first = await ensureOwner(ctx, systemActor('test'));
  if (!first) throw new Error('the database already has an owner: sign in with its password instead');
  return signIn(app, first.user.username, first.password);
}

/**
 * A new user for each role asked, signed in: session tokens by role. Usernames are
 * `<role><suffix>` (default `<role>-user`). With `owner` (a session token) the users are created
 * by that owner over HTTP, as the console does; otherwise by the system.
 */
export async function signInAs<R extends Role>(
  app: FastifyInstance,
  ctx: AppContext,
  roles: readonly R[],
  opts: { suffix?: string; jobRoles?: string[]; owner?: string } = {},
): Promise<Record<R, string>> {
  const out = {} as Record<R, string>;
  for (const role of roles) {
    const username = `${role}${opts.suffix ?? '-user'}`;
    const jobRoles = opts.jobRoles ?? [];
    let password: string;
    if (opts.owner) {
      const made = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(opts.owner), payload: { username, role, jobRoles } });
      expect(made.statusCode, `create ${username}`).toBe(201);
      password = (made.json() as { password: string }).password;
    } else {
      password = (await createUser(ctx, systemActor('test'), { username, role, jobRoles })).password;
    }
    out[role] = await signIn(app, username, password);
  }
  return out;
}

/**
 * Users who sign in with `password`: one per username (a staff user) or `[username, role]`,
 * created by `by` (by default the system).
 */
export async function usersWithPassword(ctx: AppContext, users: ReadonlyArray<string | readonly [string, Role]>, password: string, by: Actor = systemActor('test')): Promise<void> {
  for (const user of users) {
    const [username, role] = typeof user === 'string' ? [user, 'staff' as const] : user;
    await createUser(ctx, by, { username, role, password });
  }
}

/** An API token as the API returns it once: the secret and what is stored about it. */
export interface MadeApiToken {
  token: string;
  details: { id: string; expiresAt: string };
}

/**
 * An API token for `role`, made over HTTP by whoever holds `creator` (a session or another token).
 * The default name is `<role>-token` and the lifetime the configured default; override either.
 */
export async function anApiToken(app: FastifyInstance, creator: string, role: Role, over: { name?: string; expiresInDays?: number } = {}): Promise<MadeApiToken> {
  const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(creator), payload: { name: `${role}-token`, role, ...over } });
  expect(made.statusCode, made.body).toBe(201);
  return made.json() as MadeApiToken;
}

/**
 * A new user for each role asked, created by the owner over HTTP as in `signInAs`, each holding an
 * API token they made in their own session: tokens by role. For tests that move the clock on by
 * weeks, past any session.
 */
export async function apiTokensAs<R extends Role>(app: FastifyInstance, ctx: AppContext, roles: readonly R[], opts: { owner: string; suffix?: string }): Promise<Record<R, string>> {
  const sessions = await signInAs(app, ctx, roles, opts);
  const out = {} as Record<R, string>;
  for (const role of roles) out[role] = (await anApiToken(app, sessions[role], role)).token;
  return out;
}

let people = 0;

/** What a test may set about a person: the subject itself, or just an email address and a name. */
export interface PersonOverrides extends Partial<NewSubject> {
  /** An email-address record; with `email` or `name` the records are those two (email first). */
  email?: string;
  /** A name record. */
  name?: string;
  /** Where the email and name records came from. */
  source?: string;
}

/**
 * A person in the register: by default a customer with a name, recorded by staff. Override the
 * relationships, the records (or only an email address and a name), or the actor.
 */
export async function aPerson(ctx: AppContext, over: PersonOverrides = {}, actor = actorWith('staff')): Promise<SubjectView> {
  people++;
  const { email, name, source } = over;
  const contact = [
    ...(email === undefined ? [] : [{ category: 'email-address', value: email, source }]),
    ...(name === undefined ? [] : [{ category: 'name', value: name, source }]),
  ];
  return createSubject(ctx, actor, {
    relationships: over.relationships ?? [{ relationship: 'customer' }],
    records: over.records ?? (contact.length > 0 ? contact : [{ category: 'name', value: `Test Person ${people}` }]),
  });
}

/**
 * `count` customers known only by an email address (p0@example.org, p1@…), recorded by staff and,
 * with `thenRead`, each read by staff for service: two audit entries a person. Their ids, in order.
 */
export async function customersByEmail(ctx: AppContext, count: number, opts: { thenRead?: boolean } = {}): Promise<string[]> {
  const staff = actorWith('staff');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = await aPerson(ctx, { email: `p${i}@example.org` }, staff);
    if (opts.thenRead) await getSubject(ctx, staff, s.id, 'service');
    ids.push(s.id);
  }
  return ids;
}

/**
 * A rights request ready to answer: opened (by default an access request by email), the
 * requester's identity checked against a passport and a utility bill, and matched to `subjectId`.
 */
export async function aMatchedRequest(ctx: AppContext, subjectId: string, over: Partial<OpenInput> = {}, actor = actorWith('dpo')): Promise<RequestView> {
  const opened = await openRequest(ctx, actor, { type: 'access', channel: 'email', requester: {}, ...over });
  await verifyRequest(ctx, actor, opened.id, { evidence: ['passport', 'utility-bill'] });
  return confirmMatch(ctx, actor, opened.id, subjectId);
}
