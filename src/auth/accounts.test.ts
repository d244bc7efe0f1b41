/**
 * The account lifecycle (issue 12, item 11): disable and enable, change your own password, an
 * owner's one-time reset, token lists without secrets, a default token lifetime, and sign-out
 * that works the same for every role's token.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { dialects } from '../../test/support/databases.js';
import { anApiToken, bearer, signInOwner, usersWithPassword } from '../../test/support/factories.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from '../server/app.js';
import type { Role } from './roles.js';

const PASSWORD = 'correct horse battery staple';

describe.each(dialects)('accounts on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let ownerSession: string;
  let owner: { authorization: string };
  const signIn = async (username: string, password: string) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: `198.18.0.${Math.floor(Math.random() * 250) + 1}` });
    return r;
  };
  const token = (role: Role, over: { expiresInDays?: number } = {}) => anApiToken(app, ownerSession, role, over);

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, logger: false });
    ownerSession = await signInOwner(app, rt);
    owner = bearer(ownerSession);
    await usersWithPassword(rt, ['sam', 'pat'], PASSWORD);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await rt?.close();
  });

  it('sign-out revokes the token presented, for every role and kind', async () => {
    for (const role of ['dpo', 'staff', 'auditor', 'owner'] as const) {
      const t = bearer((await token(role)).token);
      expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: t })).statusCode, role).toBe(200);
      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: t })).statusCode, role).toBe(204);
      expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: t })).statusCode, role).toBe(401);
    }
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer('stw_nonsense') })).statusCode).toBe(401);
  });

  it('tokens expire after the default lifetime unless told otherwise; lists show them without secrets', async () => {
    const made = await token('staff');
    expect(made.details.expiresAt).toBe('2026-05-31T10:00:00.000Z'); // 90 days after the test clock
    expect((await token('staff', { expiresInDays: 7 })).details.expiresAt).toBe('2026-03-09T10:00:00.000Z');
    const configured = await buildApp({ ...rt, config: { ...rt.config, tokenLifetimeDays: 30 }, logger: false });
    try {
      const r = await configured.inject({ method: 'POST', url: '/api/v1/tokens', headers: owner, payload: { name: 'short', role: 'auditor' } });
      expect(r.json().details.expiresAt).toBe('2026-04-01T10:00:00.000Z');
    } finally {
      await configured.close();
    }
    await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(made.token) });
    const listed = await app.inject({ method: 'GET', url: '/api/v1/tokens?everyone=true', headers: owner });
    expect(listed.statusCode).toBe(200);
    const row = (listed.json().tokens as Array<Record<string, unknown>>).find((t) => t.id === made.details.id)!;
    expect(Object.keys(row).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'kind', 'lastUsedAt', 'name', 'revokedAt', 'role', 'userId']);
    expect(row.lastUsedAt).toBe('2026-03-02T10:00:00.000Z');
    expect(listed.body).not.toContain(made.token);
    expect(listed.body).not.toMatch(/[0-9a-f]{64}/);
    // Staff see their own tokens only, and not everyone's.
    const sam = bearer((await signIn('sam', PASSWORD)).json().token);
    const own = await app.inject({ method: 'GET', url: '/api/v1/tokens', headers: sam });
    expect((own.json().tokens as Array<{ kind: string }>).map((t) => t.kind)).toEqual(['session']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/tokens?everyone=true', headers: sam })).statusCode).toBe(403);
  }, 60_000);

  it('a disabled user cannot sign in, and their sessions and tokens stop working at once', async () => {
    const session = bearer((await signIn('pat', PASSWORD)).json().token);
    const usersList = (await app.inject({ method: 'GET', url: '/api/v1/users', headers: owner })).json().users as Array<{ id: string; username: string }>;
    const pat = usersList.find((u) => u.username === 'pat')!;
    const off = await app.inject({ method: 'POST', url: `/api/v1/users/${pat.id}/disable`, headers: owner });
    expect([off.statusCode, off.json().user.disabled]).toEqual([200, true]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: session })).statusCode).toBe(401);
    expect((await signIn('pat', PASSWORD)).statusCode).toBe(401);
    // An owner API token cannot; the console can enable again.
    const ownerToken = bearer((await token('owner')).token);
    expect((await app.inject({ method: 'POST', url: `/api/v1/users/${pat.id}/enable`, headers: ownerToken })).statusCode).toBe(403);
    const on = await app.inject({ method: 'POST', url: `/api/v1/users/${pat.id}/enable`, headers: owner });
    expect([on.statusCode, on.json().user.disabled]).toEqual([200, false]);
    expect((await signIn('pat', PASSWORD)).statusCode).toBe(200);
    // Sessions from before the disabling stay ended.
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: session })).statusCode).toBe(401);
  }, 60_000);

  it('an owner reset gives a one-time password that must be changed before anything else', async () => {
    const ownerToken = bearer((await token('owner')).token);
    expect((await app.inject({ method: 'POST', url: '/api/v1/users/sam/password-reset', headers: ownerToken })).statusCode).toBe(403);
    const reset = await app.inject({ method: 'POST', url: '/api/v1/users/sam/password-reset', headers: owner });
    expect(reset.statusCode).toBe(200);
    const once = reset.json().password as string;
    expect(reset.json().user.mustChangePassword).toBe(true);
    expect((await signIn('sam', PASSWORD)).statusCode).toBe(401);
    const signed = await signIn('sam', once);
    expect(signed.json().user.mustChangePassword).toBe(true);
    const sam = bearer(signed.json().token);
    const blocked = await app.inject({ method: 'GET', url: '/api/v1/subjects', headers: sam });
    expect([blocked.statusCode, blocked.json().error.code]).toEqual([403, 'PASSWORD_CHANGE_REQUIRED']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: sam })).json().mustChangePassword).toBe(true);
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: sam, payload: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' } });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const short = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: sam, payload: { currentPassword: once, newPassword: 'short' } });
    expect(short.statusCode).toBe(400);
    const changed = await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: sam, payload: { currentPassword: once, newPassword: 'a brand new passphrase' } });
    expect([changed.statusCode, changed.json().user.mustChangePassword]).toEqual([200, false]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/subjects', headers: sam })).statusCode).toBe(200);
    expect((await signIn('sam', once)).statusCode).toBe(401);
    // API tokens cannot change a password (they were not given one).
    const staffToken = bearer((await token('staff')).token);
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: staffToken, payload: { currentPassword: 'x', newPassword: 'a brand new passphrase' } })).statusCode).toBe(403);
  }, 90_000);
});

describe('steward users and tokens (CLI)', () => {
  it('disables, enables, resets and changes passwords; lists tokens without secrets; tokens expire', async () => {
    const rt = await createTestRuntime('sqlite', { keyFile: true });
    try {
      const env = { STEWARD_POLICY: rt.policy.file, STEWARD_DATA_DIR: rt.dataDir };
      const cli = (...args: string[]) => runCli(args, { cwd: rt.dataDir, env });
      expect((await cli('users', 'create', '--username', 'boss', '--role', 'owner')).code).toBe(0);
      const made = await cli('users', 'create', '--username', 'kim', '--role', 'staff', '--json');
      expect(made.code, made.stderr).toBe(0);
      // The last enabled owner cannot be disabled (nobody could manage users then).
      expect((await cli('users', 'disable', 'boss')).code).not.toBe(0);
      expect((await cli('users', 'disable', 'kim')).stdout).toBe('kim disabled\n');
      expect((await cli('users', 'list')).stdout).toMatch(/^kim\s+staff\s+\(disabled\)$/m);
      expect((await cli('users', 'enable', 'kim')).code).toBe(0);
      const reset = await cli('users', 'password-reset', 'kim', '--json');
      const once = JSON.parse(reset.stdout).password as string;
      expect(JSON.parse(reset.stdout).user.mustChangePassword).toBe(true);
      writeFileSync(path.join(rt.dataDir, 'pw.txt'), `${once}\nmy own long passphrase\n`, { mode: 0o600 });
      const changed = await cli('users', 'change-password', '--username', 'kim', '--password-file', 'pw.txt');
      expect(changed.code, changed.stderr).toBe(0);
      const bad = await cli('users', 'change-password', '--username', 'kim', '--password-file', 'pw.txt');
      expect(bad.code).not.toBe(0);
      const t = await cli('tokens', 'create', '--name', 'sync', '--role', 'staff', '--expires', '30');
      expect(t.code, t.stderr).toBe(0);
      const secret = t.stdout.trim();
      const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
      expect(t.stderr).toContain(`expires ${expires}`);
      const listed = await cli('tokens', 'list', '--json');
      const rows = JSON.parse(listed.stdout) as Array<{ id: string; name: string; expiresAt: string }>;
      expect(rows.map((r) => r.name)).toEqual(['sync']);
      expect(listed.stdout).not.toContain(secret);
      expect((await cli('tokens', 'create', '--name', 'x', '--expires', 'forever')).code).toBe(2);
      expect((await cli('tokens', 'revoke', rows[0]!.id)).code).toBe(0);
      expect((await cli('tokens', 'list')).stdout).toBe('no tokens\n');
    } finally {
      await rt.close();
    }
  }, 90_000);
});
