/**
 * Users, passwords, sessions and API tokens. Passwords are kept only as scrypt hashes; tokens are
 * 256-bit random values kept only as SHA-256 hashes (a slow hash adds nothing to a random secret).
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { newId } from '../shared/ids.js';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import type { DB } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import { preparedQuery } from '../db/prepared.js';
import { StewardError, notFound } from '../shared/errors.js';
import { giveBack, hit, type LimitRule } from '../kernel/rate-limit.js';
import { authorise, isRole, mayGrant, ROLES, type Actor, type Role } from './roles.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { userActor } from '../kernel/actors.js';

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
  /** Set by an owner's reset: the next sign-in must choose a new password before anything else. */
  mustChangePassword: boolean;
  createdAt: string;
}

const toUser = (u: Tables['users']): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
  role: u.role as Role,
  jobRoles: JSON.parse(u.job_roles) as string[],
  disabled: u.disabled === 1,
  mustChangePassword: u.must_change_password === 1,
  createdAt: u.created_at,
});

export interface NewUser {
  username: string;
  role: Role;
  displayName?: string;
  jobRoles?: string[];
  password?: string;
  /** The password is one-time: the user must choose their own at first sign-in (the console's way). */
  mustChangePassword?: boolean;
}

function checkNewPassword(password: string, path: string): void {
  if (password.length < 12 || password.length > 1024) throw new StewardError('VALIDATION_FAILED', `${path}: use 12 to 1024 characters`, [{ path, message: 'too short or too long' }]);
}

function validateNewUser(u: NewUser): void {
  if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(u.username)) {
    throw new StewardError('VALIDATION_FAILED', 'username: use 2–63 lower-case letters, digits, dots, dashes or underscores', [{ path: 'username', message: 'invalid username' }]);
  }
  if (!isRole(u.role)) throw new StewardError('VALIDATION_FAILED', `role: must be one of ${ROLES.join(', ')}`, [{ path: 'role', message: 'unknown role' }]);
  if (u.password !== undefined) checkNewPassword(u.password, 'password');
  for (const j of u.jobRoles ?? []) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(j)) throw new StewardError('VALIDATION_FAILED', 'jobRoles: use ids like "it-manager"', [{ path: 'jobRoles', message: 'invalid job role' }]);
    // A job role never stands for a system role (see canSeeCategory): refuse the confusing name.
    if (isRole(j)) throw new StewardError('VALIDATION_FAILED', `jobRoles: "${j}" is a system role; give it as the role instead`, [{ path: 'jobRoles', message: 'a system role name' }]);
  }
}

/** Creates a user; returns the password once (generated unless given). */
export async function createUser(ctx: AppContext, actor: Actor, input: NewUser): Promise<{ user: UserView; password: string }> {
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
    must_change_password: input.mustChangePassword ? 1 : 0,
    password_changed_at: null,
  };
  await writeTx(ctx, async (trx) => {
    const exists = await trx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
    if (exists) throw new StewardError('CONFLICT', `a user named ${input.username} already exists`);
    await trx.insertInto('users').values(row).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'user.create', details: { user: row.id, role: row.role, jobRoles: input.jobRoles ?? [] } }]);
  });
  return { user: toUser(row), password };
}

export async function listUsers(ctx: AppContext, actor: Actor): Promise<UserView[]> {
  authorise(actor, 'users:manage');
  return (await ctx.database.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toUser);
}

/**
 * First run: when there is no user at all, create the owner with a generated password. Returns
 * the credentials to print once, or undefined when users exist.
 */
export async function ensureOwner(ctx: AppContext, system: Actor, opts: { mustChangePassword?: boolean } = {}): Promise<{ user: UserView; password: string } | undefined> {
  const any = await ctx.database.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return undefined;
  try {
    const made = await createUser(ctx, { ...system, role: 'owner' }, { username: 'owner', role: 'owner', displayName: 'Owner' });
    if (!opts.mustChangePassword) return made;
    await ctx.database.db.updateTable('users').set({ must_change_password: 1 }).where('id', '=', made.user.id).execute();
    return { ...made, user: { ...made.user, mustChangePassword: true } };
  } catch (e) {
    // Another instance created it at the same moment.
    if (e instanceof StewardError && e.code === 'CONFLICT') return undefined;
    throw e;
  }
}

/**
 * Sign-in limits, kept in the database so that every instance counts together, and counted before
 * the slow password hash so that parallel guesses cannot all get through before the first one is
 * counted. A sign-in that succeeds takes its hits back: only wrong passwords use up the limits.
 *
 * - per address: 10 tries in 15 minutes, whichever accounts they name;
 * - per account: 10 tries in 15 minutes from anywhere. Past that the account is slowed, not locked:
 *   each address may try it once a minute, so guessing from many addresses stays slow while the
 *   person who knows the password still gets in from their own address.
 */
export const LOGIN_LIMITS = {
  address: { name: 'login-address', limit: 10, windowMs: 15 * 60_000 },
  account: { name: 'login-account', limit: 10, windowMs: 15 * 60_000 },
  slowed: { name: 'login-slowed', limit: 1, windowMs: 60_000 },
} satisfies Record<string, LimitRule>;

const limited = (message: string, retryAfterMs: number): StewardError =>
  new StewardError('RATE_LIMITED', message, [{ path: 'retryAfterSeconds', message: String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }]);

/**
 * Counts one password check against an address and an account, before the check is made; throws
 * RATE_LIMITED when either is used up. Returns what to call when the password turns out right.
 */
async function countPasswordTry(ctx: AppContext, username: string, ip: string): Promise<() => Promise<void>> {
  const account = username.toLowerCase();
  const byAddress = await hit(ctx, LOGIN_LIMITS.address, ip);
  if (!byAddress.allowed) throw limited('too many failed sign-ins from this address; try again later', byAddress.retryAfterMs);
  const byAccount = await hit(ctx, LOGIN_LIMITS.account, account);
  if (!byAccount.allowed) {
    const slowed = await hit(ctx, LOGIN_LIMITS.slowed, `${account}\n${ip}`);
    if (!slowed.allowed) throw limited('this account has had many wrong passwords: one try a minute', slowed.retryAfterMs);
  }
  return async () => {
    await giveBack(ctx, LOGIN_LIMITS.address, ip);
    await giveBack(ctx, LOGIN_LIMITS.account, account);
  };
}

async function auditFailedSignIn(ctx: AppContext, user: Tables['users'] | undefined, ip: string): Promise<void> {
  await writeTx(ctx, (trx) => appendAudit(trx, ctx, { id: user?.id ?? 'anonymous', role: null, ip }, [{ action: 'auth.login-failed', details: { knownUser: Boolean(user) } }]));
}

/** A session for a user: a random token, kept only as its hash, lasting SESSION_HOURS. */
async function startSession(trx: Kysely<Tables>, ctx: AppContext, user: Tables['users']): Promise<{ token: string; expiresAt: string; id: string }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
  const id = newId();
  await trx
    .insertInto('api_tokens')
    .values({ id, user_id: user.id, name: 'session', kind: 'session', role: user.role, token_hash: hashToken(token), created_at: now.toISOString(), expires_at: expiresAt, last_used_at: null, revoked_at: null })
    .execute();
  return { token, expiresAt, id };
}

/**
 * Sign-in with a username and password. The answer says whether the password must be changed
 * first (mustChangePassword): until it is, the session can only change it, see itself, sign out.
 */
export async function login(ctx: AppContext, username: string, password: string, ip: string): Promise<{ token: string; expiresAt: string; user: UserView }> {
  const succeeded = await countPasswordTry(ctx, username, ip);
  const user = await ctx.database.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  // Verify against a dummy hash when the user does not exist, so timing does not reveal names.
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok || user.disabled) {
    await auditFailedSignIn(ctx, user, ip);
    throw new StewardError('UNAUTHENTICATED', 'wrong username or password');
  }
  await succeeded();
  const session = await writeTx(ctx, async (trx) => {
    const made = await startSession(trx, ctx, user);
    await appendAudit(trx, ctx, { id: user.id, role: user.role, ip }, [{ action: 'auth.login', details: {} }]);
    return made;
  });
  return { token: session.token, expiresAt: session.expiresAt, user: toUser(user) };
}
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  kind: string;
  /** The user the token belongs to (an API token made at the console belongs to the owner). */
  userId: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The token settings Steward reads from its configuration (Config.tokenLifetimeDays). */
export const DEFAULT_TOKEN_LIFETIME_DAYS = 90;
export const MAX_TOKEN_LIFETIME_DAYS = 3650;

/**
 * Creates an API token scoped to a role (the caller's or one below it). Every token expires: after
 * `expiresInDays`, or the configured default lifetime (90 days unless set).
 */
export async function createToken(ctx: AppContext, actor: Actor, input: { name: string; role?: Role; expiresInDays?: number }): Promise<{ token: string; view: TokenView }> {
  authorise(actor, 'tokens:create');
  if (actor.kind !== 'user' && actor.kind !== 'cli') throw new StewardError('FORBIDDEN', 'an API token cannot create other tokens; sign in as a user');
  const role = input.role ?? actor.role;
  if (!mayGrant(actor, role)) throw new StewardError('FORBIDDEN', `the ${actor.role} role cannot create a token for the ${role} role`);
  if (!input.name.trim() || input.name.length > 100) throw new StewardError('VALIDATION_FAILED', 'name: 1–100 characters', [{ path: 'name', message: 'invalid' }]);
  const days = input.expiresInDays ?? ctx.config?.tokenLifetimeDays ?? DEFAULT_TOKEN_LIFETIME_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_LIFETIME_DAYS) {
    throw new StewardError('VALIDATION_FAILED', `expiresInDays: a whole number of days from 1 to ${MAX_TOKEN_LIFETIME_DAYS}`, [{ path: 'expiresInDays', message: 'out of range' }]);
  }
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  const userId = actor.kind === 'cli' ? (actor.userId ?? (await cliUserId(ctx))) : actor.id;
  const row: Tables['api_tokens'] = {
    id: newId(),
    user_id: userId,
    name: input.name.trim(),
    kind: 'api',
    role,
    token_hash: hashToken(token),
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + days * 86_400_000).toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await writeTx(ctx, async (trx) => {
    await trx.insertInto('api_tokens').values(row).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'token.create', details: { token: row.id, role, days } }]);
  });
  return { token, view: toToken(row) };
}

/** Tokens made at the console belong to the owner account. */
async function cliUserId(ctx: AppContext): Promise<string> {
  const owner = await ctx.database.db.selectFrom('users').select('id').where('role', '=', 'owner').orderBy('created_at').limit(1).executeTakeFirst();
  if (!owner) throw new StewardError('CONFLICT', 'there is no owner account yet: start "steward serve" once or run "steward users create"');
  return owner.id;
}

const toToken = (t: Tables['api_tokens']): TokenView => ({
  id: t.id,
  name: t.name,
  role: t.role as Role,
  kind: t.kind,
  userId: t.user_id,
  createdAt: t.created_at,
  expiresAt: t.expires_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

/**
 * Tokens and sessions, never their secrets: a user's own, or (owner, console) everyone's. By
 * default only those still usable; `all` adds revoked and expired ones.
 */
export async function listTokens(ctx: AppContext, actor: Actor, opts: { everyone?: boolean; all?: boolean } = {}): Promise<TokenView[]> {
  const mine = actor.userId ?? (actor.kind === 'user' ? actor.id : undefined);
  if (opts.everyone || !mine) authorise(actor, 'users:manage');
  const now = ctx.clock.now().toISOString();
  const rows = await ctx.database.db
    .selectFrom('api_tokens')
    .selectAll()
    .$if(!(opts.everyone || !mine), (q) => q.where('user_id', '=', mine!))
    .$if(!opts.all, (q) => q.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toToken);
}

export async function revokeToken(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  await writeTx(ctx, async (trx) => {
    const t = await trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    // Users revoke their own tokens; the owner may revoke anyone's.
    const mine = actor.userId ?? actor.id;
    if (!t || (t.user_id !== mine && actor.role !== 'owner')) throw notFound('token', id);
    await trx.updateTable('api_tokens').set({ revoked_at: ctx.clock.now().toISOString() }).where('id', '=', id).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'token.revoke', details: { token: id } }]);
  });
}

/**
 * Sign-out: revokes the token presented, whatever its kind and role (a session, or an API token
 * used by a script that is done with it). UNAUTHENTICATED when it is not a valid token.
 */
export async function logout(ctx: AppContext, bearer: string | undefined, ip: string): Promise<void> {
  const actor = await authenticate(ctx, bearer, ip, { pendingPasswordOk: true });
  await writeTx(ctx, async (trx) => {
    const hash = hashToken(bearer!);
    const t = await trx.selectFrom('api_tokens').select(['id', 'kind']).where('token_hash', '=', hash).executeTakeFirstOrThrow();
    await trx.updateTable('api_tokens').set({ revoked_at: ctx.clock.now().toISOString() }).where('id', '=', t.id).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'auth.logout', details: { token: t.id, kind: t.kind } }]);
  });
}

// ——— account lifecycle ———

async function userRow(db: Kysely<Tables>, idOrName: string): Promise<Tables['users']> {
  const row = await db.selectFrom('users').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('username', '=', idOrName)])).executeTakeFirst();
  if (!row) throw notFound('user', idOrName.slice(0, 64));
  return row;
}

/** Sessions end when a password changes or an account is disabled (API tokens are listed and revoked apart). */
async function endSessions(trx: Kysely<Tables>, userId: string, now: string, except?: string): Promise<void> {
  await trx
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('kind', '=', 'session')
    .where('revoked_at', 'is', null)
    .$if(except !== undefined, (q) => q.where('id', '!=', except!))
    .execute();
}

/**
 * Disables or enables a user (owner). A disabled user cannot sign in, and their sessions and API
 * tokens stop working at once (authenticate checks the account on every request); enabling
 * brings back their unexpired API tokens but not their sessions. The last enabled owner cannot be
 * disabled, nor can owners disable themselves.
 */
export async function setUserDisabled(ctx: AppContext, actor: Actor, idOrName: string, disabled: boolean): Promise<UserView> {
  authorise(actor, 'users:manage');
  if (actor.kind === 'token') throw new StewardError('FORBIDDEN', 'an API token cannot enable or disable users; sign in as an owner');
  return writeTx(ctx, async (trx) => {
    const user = await userRow(trx, idOrName);
    if (disabled && user.id === (actor.userId ?? actor.id)) throw new StewardError('CONFLICT', 'you cannot disable your own account');
    if (disabled && user.role === 'owner') {
      const owners = await trx.selectFrom('users').select('id').where('role', '=', 'owner').where('disabled', '=', 0).where('id', '!=', user.id).limit(1).execute();
      if (owners.length === 0) throw new StewardError('CONFLICT', 'this is the last enabled owner: enable or create another owner first');
    }
    const now = ctx.clock.now().toISOString();
    await trx.updateTable('users').set({ disabled: disabled ? 1 : 0 }).where('id', '=', user.id).execute();
    if (disabled) await endSessions(trx, user.id, now);
    await appendAudit(trx, ctx, actor, [{ action: disabled ? 'user.disable' : 'user.enable', details: { user: user.id } }]);
    return toUser({ ...user, disabled: disabled ? 1 : 0 });
  });
}

/**
 * Changes the signed-in user's own password; the current one is required (and counted like a
 * sign-in, so a stolen session cannot guess it quickly). Ends the user's other sessions.
 */
export async function changePassword(ctx: AppContext, actor: Actor, current: string, next: string, sessionId?: string): Promise<UserView> {
  if (actor.kind !== 'user') throw new StewardError('FORBIDDEN', 'sign in with your password to change it (an API token cannot)');
  checkNewPassword(next, 'newPassword');
  if (next === current) throw new StewardError('VALIDATION_FAILED', 'newPassword: choose a password different from the current one', [{ path: 'newPassword', message: 'unchanged' }]);
  const user = await userRow(ctx.database.db, actor.id);
  const succeeded = await countPasswordTry(ctx, user.username, actor.ip ?? 'unknown');
  if (!(await verifyPassword(current, user.password_hash))) {
    await auditFailedSignIn(ctx, user, actor.ip ?? 'unknown');
    throw new StewardError('VALIDATION_FAILED', 'currentPassword: that is not your current password', [{ path: 'currentPassword', message: 'wrong password' }]);
  }
  await succeeded();
  const hash = await hashPassword(next);
  const now = ctx.clock.now().toISOString();
  await writeTx(ctx, async (trx) => {
    await trx.updateTable('users').set({ password_hash: hash, must_change_password: 0, password_changed_at: now }).where('id', '=', user.id).execute();
    await endSessions(trx, user.id, now, sessionId);
    await appendAudit(trx, ctx, actor, [{ action: 'user.password-change', details: { user: user.id } }]);
  });
  return toUser({ ...user, must_change_password: 0, password_changed_at: now });
}

/**
 * An owner sets a new one-time password for another user (who forgot theirs, or whose password
 * may be known to someone else): returned once, to pass on; the user must change it at their next
 * sign-in, and their sessions end now. Only a signed-in owner (or the console) may: a token that
 * could reset passwords could sign in as anyone.
 */
export async function resetPassword(ctx: AppContext, actor: Actor, idOrName: string): Promise<{ user: UserView; password: string }> {
  authorise(actor, 'users:manage');
  if (actor.kind === 'token') throw new StewardError('FORBIDDEN', 'an API token cannot reset passwords; sign in as an owner');
  const password = generatePassword();
  const hash = await hashPassword(password);
  return writeTx(ctx, async (trx) => {
    const user = await userRow(trx, idOrName);
    if (user.id === (actor.userId ?? actor.id)) throw new StewardError('CONFLICT', 'to change your own password, use the password change (it asks for the current one)');
    const now = ctx.clock.now().toISOString();
    await trx.updateTable('users').set({ password_hash: hash, must_change_password: 1, password_changed_at: now }).where('id', '=', user.id).execute();
    await endSessions(trx, user.id, now);
    await appendAudit(trx, ctx, actor, [{ action: 'user.password-reset', details: { user: user.id } }]);
    return { user: toUser({ ...user, must_change_password: 1, password_changed_at: now }), password };
  });
}

/** The token and its user, by the token's hash: on every API request, so compiled once. */
const tokenByHash = preparedQuery(1, (db, hash: string) =>
  db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'api_tokens.kind', 'api_tokens.role', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.last_used_at', 'users.id as user_id', 'users.disabled', 'users.job_roles', 'users.must_change_password'])
    .where('api_tokens.token_hash', '=', hash),
);

/** How stale last_used_at may get: recording every use would make every API request a write. */
const LAST_USED_GRANULARITY_MS = 5 * 60_000;

/**
 * Resolves a bearer token to the actor it stands for, or throws UNAUTHENTICATED (unknown, expired,
 * revoked, or its user disabled). A session whose password an owner reset can only be used where
 * `pendingPasswordOk` (changing it, seeing who you are, signing out): elsewhere PASSWORD_CHANGE_REQUIRED.
 */
export async function authenticate(ctx: AppContext, bearer: string | undefined, ip: string, opts: { pendingPasswordOk?: boolean } = {}): Promise<Actor> {
  if (!bearer || !bearer.startsWith(TOKEN_PREFIX) || bearer.length > 200) {
    throw new StewardError('UNAUTHENTICATED', 'sign in first: send "Authorization: Bearer <token>"');
  }
  const [row] = await tokenByHash(ctx.database.db, hashToken(bearer));
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  if (!row || row.revoked_at || row.disabled || (row.expires_at && row.expires_at <= nowIso)) {
    throw new StewardError('UNAUTHENTICATED', 'the token is not valid (expired, revoked or unknown)');
  }
  const pending = row.kind === 'session' && row.must_change_password === 1;
  if (pending && !opts.pendingPasswordOk) {
    throw new StewardError('PASSWORD_CHANGE_REQUIRED', 'your password was reset: choose a new one first (POST /api/v1/auth/password)');
  }
  if (!row.last_used_at || Date.parse(row.last_used_at) + LAST_USED_GRANULARITY_MS <= now.getTime()) {
    await ctx.database.db.updateTable('api_tokens').set({ last_used_at: nowIso }).where('id', '=', row.id).execute();
  }
  return userActor({ id: row.user_id, role: row.role, job_roles: row.job_roles }, row.kind === 'session' ? { kind: 'user' } : { kind: 'token', tokenId: row.id }, { ip, mustChangePassword: pending });
}

/** The session or token id behind a bearer token (for "end my other sessions"). */
export async function tokenIdOf(ctx: AppContext, bearer: string): Promise<string | undefined> {
  const [row] = await tokenByHash(ctx.database.db, hashToken(bearer));
  return row?.id;
}

/** A user's account by username (usernames are stored lower-case), for the CLI's --as. */
export async function userByUsername(db: DB, username: string): Promise<Pick<Tables['users'], 'id' | 'username' | 'role' | 'job_roles' | 'disabled'> | undefined> {
  return db.selectFrom('users').select(['id', 'username', 'role', 'job_roles', 'disabled']).where('username', '=', username.toLowerCase()).executeTakeFirst();
}

/** Users' ids and usernames (every user's, or those of the ids given), for naming who did something. */
export async function usernames(db: DB, ids?: readonly string[]): Promise<Array<{ id: string; username: string }>> {
  if (ids && ids.length === 0) return [];
  const q = db.selectFrom('users').select(['id', 'username']);
  return (ids ? q.where('id', 'in', [...ids]) : q).execute();
}
