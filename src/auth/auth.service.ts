/**
 * Users, passwords, sessions and API tokens. Passwords are kept only as scrypt hashes; tokens are
 * 256-bit random values kept only as SHA-256 hashes (a slow hash adds nothing to a random secret).
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { newId } from '../shared/ids.js';
import { promisify } from 'node:util';
import { appendAudit } from '../audit/audit.service.js';
import type { Tables } from '../db/tables.js';
import { preparedQuery } from '../db/prepared.js';
import { writeTx, type RegisterContext } from '../register/register.service.js';
import { StewardError, notFound } from '../shared/errors.js';
import { authorise, isRole, mayGrant, ROLES, type Actor, type Role } from './roles.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const SESSION_HOURS = 12;
const TOKEN_PREFIX = 'stw_';

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(actual, expected);
}

const generatePassword = (): string => randomBytes(15).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface UserView {
  id: string;
  username: string;
  displayName: string | null;
  role: Role;
  jobRoles: string[];
  disabled: boolean;
  createdAt: string;
}

const toUser = (u: Tables['users']): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
  role: u.role as Role,
  jobRoles: JSON.parse(u.job_roles) as string[],
  disabled: u.disabled === 1,
  createdAt: u.created_at,
});

export interface NewUser {
  username: string;
  role: Role;
  displayName?: string;
  jobRoles?: string[];
  password?: string;
}

function validateNewUser(u: NewUser): void {
  if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(u.username)) {
    throw new StewardError('VALIDATION_FAILED', 'username: use 2–63 lower-case letters, digits, dots, dashes or underscores', [{ path: 'username', message: 'invalid username' }]);
  }
  if (!isRole(u.role)) throw new StewardError('VALIDATION_FAILED', `role: must be one of ${ROLES.join(', ')}`, [{ path: 'role', message: 'unknown role' }]);
  if (u.password !== undefined && (u.password.length < 12 || u.password.length > 1024)) {
    throw new StewardError('VALIDATION_FAILED', 'password: use at least 12 characters', [{ path: 'password', message: 'too short' }]);
  }
  for (const j of u.jobRoles ?? []) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(j)) throw new StewardError('VALIDATION_FAILED', 'jobRoles: use ids like "it-manager"', [{ path: 'jobRoles', message: 'invalid job role' }]);
    // A job role never stands for a system role (see canSeeCategory): refuse the confusing name.
    if (isRole(j)) throw new StewardError('VALIDATION_FAILED', `jobRoles: "${j}" is a system role; give it as the role instead`, [{ path: 'jobRoles', message: 'a system role name' }]);
  }
}

/** Creates a user; returns the password once (generated unless given). */
export async function createUser(ctx: RegisterContext, actor: Actor, input: NewUser): Promise<{ user: UserView; password: string }> {
  authorise(actor, 'users:manage');
  validateNewUser(input);
  // Tokens cannot mint tokens; an owner user could (by signing in), so a token cannot make one.
  if (actor.kind === 'token' && input.role === 'owner') throw new StewardError('FORBIDDEN', 'an API token cannot create owner users; sign in as an owner');
  const password = input.password ?? generatePassword();
  const row: Tables['users'] = {
    id: newId(),
    username: input.username,
    display_name: input.displayName ?? null,
    role: input.role,
    job_roles: JSON.stringify(input.jobRoles ?? []),
    password_hash: await hashPassword(password),
    disabled: 0,
    created_at: ctx.clock.now().toISOString(),
  };
  await writeTx(ctx, async (trx) => {
    const exists = await trx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
    if (exists) throw new StewardError('CONFLICT', `a user named ${input.username} already exists`);
    await trx.insertInto('users').values(row).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'user.create', details: { user: row.id, role: row.role, jobRoles: input.jobRoles ?? [] } }]);
  });
  return { user: toUser(row), password };
}

export async function listUsers(ctx: RegisterContext, actor: Actor): Promise<UserView[]> {
  authorise(actor, 'users:manage');
  return (await ctx.database.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toUser);
}

/**
 * First run: when there is no user at all, create the owner with a generated password. Returns
 * the credentials to print once, or undefined when users exist.
 */
export async function ensureOwner(ctx: RegisterContext, system: Actor): Promise<{ user: UserView; password: string } | undefined> {
  const any = await ctx.database.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  try {
    return await createUser(ctx, { ...system, role: 'owner' }, { username: 'owner', role: 'owner', displayName: 'Owner' });
  } catch (e) {
    // Another instance created it at the same moment.
    if (e instanceof StewardError && e.code === 'CONFLICT') return undefined;
    throw e;
  }
}

/** Failed sign-ins per address, to slow password guessing. In memory: per instance. */
const failures = new Map<string, { count: number; since: number }>();
const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60 * 1000;

export async function login(ctx: RegisterContext, username: string, password: string, ip: string): Promise<{ token: string; expiresAt: string; user: UserView }> {
  const nowMs = ctx.clock.now().getTime();
  const f = failures.get(ip);
  if (f && nowMs - f.since < WINDOW_MS && f.count >= MAX_FAILURES) {
    throw new StewardError('RATE_LIMITED', 'too many failed sign-ins from this address; try again later');
  }
  const user = await ctx.database.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // Verify against a dummy hash when the user does not exist, so timing does not reveal names.
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok || user.disabled) {
    const entry = f && nowMs - f.since < WINDOW_MS ? f : { count: 0, since: nowMs };
    entry.count++;
    failures.set(ip, entry);
    await writeTx(ctx, (trx) => appendAudit(trx, ctx, { id: user?.id ?? 'anonymous', role: null, ip }, [{ action: 'auth.login-failed', details: { knownUser: Boolean(user) } }]));
    throw new StewardError('UNAUTHENTICATED', 'wrong username or password');
  }
  failures.delete(ip);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
  await writeTx(ctx, async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({ id: newId(), user_id: user.id, name: 'session', kind: 'session', role: user.role, token_hash: hashToken(token), created_at: now.toISOString(), expires_at: expiresAt, last_used_at: null, revoked_at: null })
      .execute();
    await appendAudit(trx, ctx, { id: user.id, role: user.role, ip }, [{ action: 'auth.login', details: {} }]);
  });
  return { token, expiresAt, user: toUser(user) };
}
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  kind: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export async function createToken(ctx: RegisterContext, actor: Actor, input: { name: string; role?: Role; expiresInDays?: number }): Promise<{ token: string; view: TokenView }> {
  authorise(actor, 'tokens:create');
  if (actor.kind !== 'user' && actor.kind !== 'cli') throw new StewardError('FORBIDDEN', 'an API token cannot create other tokens; sign in as a user');
  const role = input.role ?? actor.role;
  if (!mayGrant(actor, role)) throw new StewardError('FORBIDDEN', `the ${actor.role} role cannot create a token for the ${role} role`);
  if (!input.name.trim() || input.name.length > 100) throw new StewardError('VALIDATION_FAILED', 'name: 1–100 characters', [{ path: 'name', message: 'invalid' }]);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  const userId = actor.kind === 'cli' ? await cliUserId(ctx) : actor.id;
  const row: Tables['api_tokens'] = {
    id: newId(),
    user_id: userId,
    name: input.name.trim(),
    kind: 'api',
    role,
    token_hash: hashToken(token),
    created_at: now.toISOString(),
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null,
    last_used_at: null,
    revoked_at: null,
  };
  await writeTx(ctx, async (trx) => {
    await trx.insertInto('api_tokens').values(row).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'token.create', details: { token: row.id, role } }]);
  });
  return { token, view: toToken(row) };
}

/** Tokens made at the console belong to the owner account. */
async function cliUserId(ctx: RegisterContext): Promise<string> {
  const owner = await ctx.database.db.selectFrom('users').select('id').where('role', '=', 'owner').orderBy('created_at').limit(1).executeTakeFirst();
  if (!owner) throw new StewardError('CONFLICT', 'there is no owner account yet: start "steward serve" once or run "steward users create"');
  return owner.id;
}

const toToken = (t: Tables['api_tokens']): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role as Role,
  kind: t.kind,
  createdAt: t.created_at,
  expiresAt: t.expires_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

export async function revokeToken(ctx: RegisterContext, actor: Actor, id: string): Promise<void> {
  await writeTx(ctx, async (trx) => {
    const t = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    // Users revoke their own tokens; the owner may revoke anyone's.
    if (!t || (t.user_id !== actor.id && actor.role !== 'owner')) throw notFound('token', id);
    await trx.updateTable('api_tokens').set({ revoked_at: ctx.clock.now().toISOString() }).where('id', '=', id).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'token.revoke', details: { token: id } }]);
  });
}

/** Resolves a bearer token to the actor it stands for, or throws UNAUTHENTICATED. */
/** The token and its user, by the token's hash: on every API request, so compiled once. */
const tokenByHash = preparedQuery(1, (db, hash: string) =>
  db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.kind', 'api_tokens.role', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'users.id as user_id', 'users.disabled', 'users.job_roles'])
    .where('api_tokens.token_hash', '=', hash),
);

export async function authenticate(ctx: RegisterContext, bearer: string | undefined, ip: string): Promise<Actor> {
  if (!bearer || !bearer.startsWith(TOKEN_PREFIX) || bearer.length > 200) {
    throw new StewardError('UNAUTHENTICATED', 'sign in first: send "Authorization: Bearer <token>"');
  }
  const [row] = await tokenByHash(ctx.database.db, hashToken(bearer));
  const now = ctx.clock.now().toISOString();
  if (!row || row.revoked_at || row.disabled || (row.expires_at && row.expires_at <= now)) {
    throw new StewardError('UNAUTHENTICATED', 'the token is not valid (expired, revoked or unknown)');
  }
  return {
    kind: row.kind === 'session' ? 'user' : 'token',
    id: row.kind === 'session' ? row.user_id : `token:${row.id}`,
    role: row.role as Role,
    jobRoles: JSON.parse(row.job_roles) as string[],
    ip,
  };
}
