import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from '../server/app.js';
import { createUser, ensureOwner } from './auth.service.js';
import { CSRF_HEADER, SESSION_COOKIE } from './session-cookie.js';
import { systemActor } from '../kernel/actors.js';

const cookieOf = (res: LightMyRequestResponse): string => {
  const set = String(res.headers['set-cookie']);
  return set.slice(0, set.indexOf(';'));
};

describe.each(dialects)('console sign-in with a session cookie on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let ownerPassword: string;

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, logger: false });
    ownerPassword = (await ensureOwner(rt, systemActor('test'), { mustChangePassword: true }))!.password;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  const signIn = (username: string, password: string, ip = '127.0.0.1') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/session', payload: { username, password }, remoteAddress: ip });

  it('sets an HttpOnly SameSite=Strict cookie, asks for a new password first, then allows CSRF-carrying writes', async () => {
    const res = await signIn('owner', ownerPassword);
    expect(res.statusCode).toBe(200);
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=stw_`));
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(set).toContain('Max-Age=43200');
    expect(set).not.toContain('Secure'); // the test's base URL is http
    const body = res.json();
    expect(body.mustChangePassword).toBe(true);
    expect(body.user.role).toBe('owner');
    expect(body.permissions).toContain('users:manage');
    const cookie = cookieOf(res);
    const csrf = body.csrfToken as string;

    // With the one-time password still in place, nothing but the password change is allowed.
    const early = await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { cookie } });
    expect(early.statusCode).toBe(403);
    expect(early.json().error.code).toBe('PASSWORD_CHANGE_REQUIRED');

    // A write without the CSRF header is refused, even to change the password.
    const noCsrf = await app.inject({ method: 'POST', url: '/api/v1/auth/session/password', headers: { cookie }, payload: { currentPassword: ownerPassword, newPassword: 'my own long password' } });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.message).toContain(CSRF_HEADER);
    const wrongCsrf = await app.inject({ method: 'POST', url: '/api/v1/auth/session/password', headers: { cookie, [CSRF_HEADER]: 'x'.repeat(43) }, payload: { currentPassword: ownerPassword, newPassword: 'my own long password' } });
    expect(wrongCsrf.statusCode).toBe(403);

    const short = await app.inject({ method: 'POST', url: '/api/v1/auth/session/password', headers: { cookie, [CSRF_HEADER]: csrf }, payload: { currentPassword: ownerPassword, newPassword: 'short' } });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.code).toBe('VALIDATION_FAILED');
    const wrongCurrent = await app.inject({ method: 'POST', url: '/api/v1/auth/session/password', headers: { cookie, [CSRF_HEADER]: csrf }, payload: { currentPassword: 'not it at all', newPassword: 'my own long password' } });
    expect(wrongCurrent.statusCode).toBe(400);

    const changed = await app.inject({ method: 'POST', url: '/api/v1/auth/session/password', headers: { cookie, [CSRF_HEADER]: csrf }, payload: { currentPassword: ownerPassword, newPassword: 'my own long password' } });
    expect(changed.statusCode).toBe(204);
    const session = await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
    expect(session.json().mustChangePassword).toBe(false);
    expect((await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { cookie } })).statusCode).toBe(200);

    // The old password no longer works; the new one does.
    expect((await signIn('owner', ownerPassword)).statusCode).toBe(401);
    expect((await signIn('owner', 'my own long password')).statusCode).toBe(200);

    // Sign-out needs the CSRF header too, then the cookie is cleared and the session is dead.
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/auth/session', headers: { cookie } })).statusCode).toBe(403);
    const out = await app.inject({ method: 'DELETE', url: '/api/v1/auth/session', headers: { cookie, [CSRF_HEADER]: csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } })).statusCode).toBe(401);

    const actions = (await rt.database.db.selectFrom('audit_log').select('action').execute()).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['auth.login', 'user.password-change', 'auth.login-failed', 'token.revoke']));
  }, 120_000);

  it('keeps bearer tokens working unchanged and never reads a cookie when an Authorization header is sent', async () => {
    const { password } = await createUser(rt, { ...systemActor('test'), role: 'owner' }, { username: 'staffer', role: 'staff', password: 'staff password long' });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'staffer', password } });
    const token = login.json().token as string;
    // A bearer token needs no CSRF header: it is never sent by the browser on its own.
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}`, cookie: `${SESSION_COOKIE}=stw_bogus` } });
    expect(me.statusCode).toBe(200);
    expect(me.json().role).toBe('staff');
    // A staff dashboard omits what the role may not read.
    const dash = await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { authorization: `Bearer ${token}` } });
    expect(dash.json().breaches).toBeNull();
    expect(dash.json().requests).not.toBeNull();
  });

  it('audits and rate-limits failed sign-ins through the same limiter as /auth/login', async () => {
    // The limiter is per process and keyed by address: each dialect's suite uses its own.
    const ip = kind === 'sqlite' ? '203.0.113.9' : '203.0.113.10';
    // A user of its own, so earlier tests' tries at the owner account do not count here.
    await createUser(rt, actorWith('owner'), { username: `limited-${kind}`, role: 'staff', password: 'a long enough password' });
    for (let i = 0; i < 10; i++) expect((await signIn(`limited-${kind}`, 'wrong password', ip)).statusCode).toBe(401);
    const limited = await signIn(`limited-${kind}`, 'a long enough password', ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    const failed = await rt.database.db.selectFrom('audit_log').select('action').where('action', '=', 'auth.login-failed').execute();
    expect(failed.length).toBeGreaterThanOrEqual(10);
  }, 120_000); // eleven scrypt checks: slow on a busy machine

  it('refuses a bad cookie with UNAUTHENTICATED, not a 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie: `${SESSION_COOKIE}=stw_${'a'.repeat(43)}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
  });
});
