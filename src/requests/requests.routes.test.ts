import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { createSubject } from '../register/register.service.js';
import { systemActor } from '../runtime/runtime.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { runCli } from '../../test/support/cli.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { startTestSmtp, type TestSmtp } from '../../test/support/smtp.js';

const POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/requests/policy.yaml');

describe.each(dialects)('rights requests over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let smtp: TestSmtp;
  let app: FastifyInstance;
  let owner: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    rt = await createTestRuntime(kind, { policyFile: POLICY, smtpUrl: smtp.url });
    await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'customer' }], records: [{ category: 'email-address', value: 'known@example.com' }, { category: 'name', value: 'Known Person' }] });
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 256 * 1024 }, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    owner = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: first!.password } })).json().token;
  });
  afterAll(async () => {
    await app?.close();
    await rt?.close();
    await smtp?.close();
  });

  it('public centre: same answer for known and unknown addresses, code proves control, then staff fulfil', async () => {
    const a = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests/code', payload: { email: 'known@example.com' } });
    const b = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests/code', payload: { email: 'stranger@example.com' } });
    expect(a.statusCode).toBe(202);
    expect(b.json()).toEqual(a.json());
    await smtp.waitFor(2);
    const mail = smtp.messages.find((m) => m.envelopeTo.includes('known@example.com'))!;
    const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
    const bad = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests', payload: { email: 'known@example.com', code: '000000', type: 'access' } });
    expect(bad.statusCode).toBe(400);
    const made = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests', payload: { email: 'known@example.com', code, type: 'access' } });
    expect(made.statusCode).toBe(201);
    const reference = made.json().reference as string;
    const h = { authorization: `Bearer ${owner}` };
    const shown = await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}`, headers: h });
    expect(shown.json().status).toBe('identity-pending');
    expect(shown.json().identity.map((e: { kind: string }) => e.kind)).toEqual(['email-control']);
    const v = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/verify`, headers: h, payload: { evidence: ['utility-bill'] } });
    expect(v.json().status).toBe('open');
    const m = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/match`, headers: h });
    expect(m.json().candidates).toHaveLength(1);
    await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/subject`, headers: h, payload: { subjectId: m.json().candidates[0].id } });
    const f = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fulfil`, headers: h, payload: {} });
    expect(f.statusCode).toBe(200);
    const link = new URL(String(f.json().result.link), 'http://x');
    const dl = await app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-type']).toBe('application/zip');
  });

  it('bad input answers with stable codes, never a 500', async () => {
    const h = { authorization: `Bearer ${owner}` };
    const cases = [
      { method: 'POST' as const, url: '/api/v1/requests', payload: { type: 'nonsense', channel: 'email', requester: {} } },
      { method: 'POST' as const, url: '/api/v1/requests', payload: { type: 'access', channel: 'email', requester: { email: 'x@example.com' }, passportNumber: '123456789' } },
      { method: 'GET' as const, url: '/api/v1/requests/RQ-2026-999' },
      { method: 'GET' as const, url: `/api/v1/requests/${'<script>'.repeat(5)}` },
      { method: 'POST' as const, url: '/api/v1/requests/RQ-2026-001/verify', payload: { evidence: ['passport'], note: 'AB 12 34 56 C' } },
      { method: 'GET' as const, url: '/api/v1/privacy/requests/download?t=garbage' },
    ];
    for (const c of cases) {
      const r = await app.inject({ ...c, headers: h });
      expect(r.statusCode, c.url).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, c.url).toBeLessThan(500);
      expect(typeof r.json().error.code).toBe('string');
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/requests' })).statusCode).toBe(401);
  });
});

describe('steward requests (CLI)', () => {
  it('opens a request and prints its due date', async () => {
    const rt = await createTestRuntime('sqlite', { policyFile: POLICY, keyFile: true });
    try {
      const env = { STEWARD_POLICY: POLICY, STEWARD_DATA_DIR: rt.dataDir };
      const opened = await runCli(['requests', 'open', '--type', 'access', '--email', 'cli@example.com', '--received', '2025-01-31', '--channel', 'email', '--json'], { cwd: rt.dataDir, env });
      expect(opened.code, opened.stderr).toBe(0);
      const v = JSON.parse(opened.stdout);
      expect(v.reference).toMatch(/^RQ-\d{4}-001$/);
      const verified = await runCli(['requests', 'verify', v.reference, '--evidence', 'passport', '--evidence', 'utility-bill', '--received', '2025-01-31'], { cwd: rt.dataDir, env });
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toContain('due             2025-02-28');
      const bad = await runCli(['requests', 'open', '--type', 'bogus', '--email', 'x@example.com'], { cwd: rt.dataDir, env });
      expect(bad.code).toBe(2);
      const overdue = await runCli(['requests', 'overdue'], { cwd: rt.dataDir, env });
      expect(overdue.stdout).toContain(v.reference);
    } finally {
      await rt.close();
    }
  });
});
