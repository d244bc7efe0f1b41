/**
 * Test factories: the people, users and sessions most tests need, with defaults a test overrides
 * only where it matters to it. Prefer these to a per-file builder.
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { createUser, ensureOwner } from '../../src/auth/auth.service.js';
import type { Role } from '../../src/auth/roles.js';
import { systemActor } from '../../src/kernel/actors.js';
import type { AppContext } from '../../src/kernel/context.js';
import { createSubject } from '../../src/register/register.service.js';
import { actorWith } from './runtime.js';
import type { SubjectView } from '../../src/register/register.read.js';
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

let people = 0;

/**
 * A person in the register: by default a customer with a name, recorded by staff. Override the
 * relationships, the records, or the actor.
 */
export async function aPerson(ctx: AppContext, over: Partial<NewSubject> = {}, actor = actorWith('staff')): Promise<SubjectView> {
  people++;
  return createSubject(ctx, actor, {
    relationships: over.relationships ?? [{ relationship: 'customer' }],
    records: over.records ?? [{ category: 'name', value: `Test Person ${people}` }],
  });
}
