import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../auth/roles.js';
import { buildApp } from '../server/app.js';
import { dialects } from '../../test/support/databases.js';
import { runCli } from '../../test/support/cli.js';
import { anApiToken, aPerson, bearer, signInOwner } from '../../test/support/factories.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
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
    await aPerson(rt, { email: 'known@example.com', name: 'Known Person' });
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 256 * 1024 }, logger: false });
    owner = await signInOwner(app, rt);
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
    const code = await smtp.codeFor('known@example.com');
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

  it('a fee: asked for, refused when bad, received, with the letter mailed and the routes in the OpenAPI document', async () => {
    // Tokens made now, lasting beyond the days the clock is moved on (a login session would expire).
    const h = bearer((await anApiToken(app, owner, 'dpo', { expiresInDays: 30 })).token);
    const staffH = bearer((await anApiToken(app, owner, 'staff', { expiresInDays: 30 })).token);
    rt.clock.set('2026-03-09T10:00:00Z');
    try {
      const opened = await app.inject({
        method: 'POST',
        url: '/api/v1/requests',
        headers: h,
        payload: { type: 'access', channel: 'email', receivedOn: '2026-03-02', requester: { name: 'Fee Payer', email: 'fee-payer@example.com' }, identity: ['passport', 'utility-bill'] },
      });
      expect(opened.statusCode).toBe(201);
      const reference = opened.json().reference as string;
      expect(opened.json().dueOn).toBe('2026-04-02');
      const fee = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fee`, headers: h, payload });
      const good = { amount: '10.00', reason: 'excessive', explanation: 'The fourth copy of the same request this month.', askedOn: '2026-03-04' };
      for (const [payload, status, code] of [
        [{ ...good, amount: '-10.00' }, 400, 'VALIDATION_FAILED'],
        [{ ...good, amount: 10 }, 400, 'VALIDATION_FAILED'],
        [{ ...good, reason: 'greedy' }, 400, 'VALIDATION_FAILED'],
        [{ ...good, explanation: undefined }, 400, 'VALIDATION_FAILED'],
        [{ ...good, askedOn: '2026-03-10' }, 400, 'VALIDATION_FAILED'],
        [{ ...good, explanation: 'NI number AB 12 34 56 C' }, 422, 'FORBIDDEN_DATA'],
      ] as const) {
        const r = await fee(payload);
        expect([r.statusCode, r.json().error.code], JSON.stringify(payload)).toEqual([status, code]);
      }
      const sent = smtp.messages.length;
      const asked = await fee(good);
      expect(asked.statusCode).toBe(200);
      expect(asked.json()).toMatchObject({ status: 'fee-pending', clockStarted: false, feeAskedOn: '2026-03-04', overdue: false });
      expect(asked.json().fees).toEqual([expect.objectContaining({ status: 'pending', amount: '10.00', amountPence: 1000, reason: 'excessive' })]);
      await smtp.waitFor(sent + 1);
      const mail = smtp.messages.slice(sent).find((m) => m.envelopeTo.includes('fee-payer@example.com'))!;
      expect(mail.subject).toBe(`Your request ${reference}: a fee`);
      expect(mail.text).toContain('£10.00');
      expect((await fee(good)).statusCode).toBe(409);
      const early = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fee/paid`, headers: h, payload: { receivedOn: '2026-03-03' } });
      expect([early.statusCode, early.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
      const paid = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fee/paid`, headers: h, payload: { receivedOn: '2026-03-09' } });
      expect(paid.statusCode).toBe(200);
      expect(paid.json()).toMatchObject({ status: 'open', clockStarted: true, start: '2026-03-09', dueOn: '2026-04-09', feeReceivedOn: '2026-03-09' });
      const waive = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fee/waive`, headers: h, payload: { reason: 'too late' } });
      expect([waive.statusCode, waive.json().error.code]).toEqual([409, 'CONFLICT']);
      const history = (await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}?history=true`, headers: h })).json().history as Array<{ type: string }>;
      expect(history.map((e) => e.type).filter((t) => t.startsWith('fee-'))).toEqual(['fee-requested', 'fee-received']);
      const doc = (await app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, unknown> };
      for (const p of ['/api/v1/requests/{id}/fee', '/api/v1/requests/{id}/fee/paid', '/api/v1/requests/{id}/fee/waive']) expect(doc.paths[p], p).toBeDefined();
      // Staff may open requests but not manage them: fees are a management decision.
      const denied = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fee`, headers: staffH, payload: good });
      expect([denied.statusCode, denied.json().error.code]).toEqual([403, 'FORBIDDEN']);
    } finally {
      rt.clock.set('2026-03-02T10:00:00Z');
    }
  });

  it('letters shown to staff and auditors carry no usable pack link; the download is audited as the requester', async () => {
    const token = async (role: Role) => bearer((await anApiToken(app, owner, role)).token);
    const dpo = await token('dpo');
    const opened = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: dpo,
      payload: { type: 'access', channel: 'email', requester: { name: 'Known Person', email: 'known@example.com' }, identity: ['passport', 'utility-bill'] },
    });
    expect(opened.statusCode).toBe(201);
    const reference = opened.json().reference as string;
    const m = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/match`, headers: dpo });
    await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/subject`, headers: dpo, payload: { subjectId: m.json().candidates[0].id } });
    const sent = smtp.messages.length;
    const f = await app.inject({ method: 'POST', url: `/api/v1/requests/${reference}/fulfil`, headers: dpo, payload: {} });
    expect(f.statusCode).toBe(200);
    await smtp.waitFor(sent + 1);
    const mailed = /\S*\/privacy\/requests\/download\?t=\S+/.exec(smtp.messages.slice(sent).find((x) => x.envelopeTo.includes('known@example.com'))!.text ?? '')![0];
    const t = new URL(mailed, 'http://x').searchParams.get('t')!;
    for (const role of ['staff', 'auditor'] as const) {
      const shown = await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}`, headers: await token(role) });
      expect(shown.statusCode, role).toBe(200);
      expect(shown.body, role).not.toContain(t);
      expect(shown.body, role).not.toContain('download?t=');
      expect(shown.json().result.link, role).toBe('[download link withheld: it was sent to the requester]');
      expect(shown.json().letters.at(-1).text, role).toContain('[download link withheld');
    }
    // The privacy officer, who may read every category this declaration holds, sees the letter as sent.
    expect((await app.inject({ method: 'GET', url: `/api/v1/requests/${reference}`, headers: dpo })).body).toContain(t);
    const dl = await app.inject({ method: 'GET', url: `/api/v1/privacy/requests/download?t=${encodeURIComponent(t)}` });
    expect(dl.statusCode).toBe(200);
    const audit = await app.inject({ method: 'GET', url: '/api/v1/audit?action=request.pack.download&limit=1', headers: { authorization: `Bearer ${owner}` } });
    expect(audit.json().entries[0]).toMatchObject({ actor: `requester:${reference}`, action: 'request.pack.download' });
  });

  it('one requester cannot use up or burn a person\'s email codes', async () => {
    const victim = 'victim@example.com';
    const abuser = { remoteAddress: '203.0.113.66' };
    const person = { remoteAddress: '198.51.100.10' };
    const sent = smtp.messages.length;
    for (let i = 0; i < 8; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests/code', payload: { email: victim }, ...abuser });
      expect(r.statusCode).toBe(202);
    }
    // Only three of the abuser's reached the address.
    await smtp.waitFor(sent + 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages.slice(sent).filter((m) => m.envelopeTo.includes(victim))).toHaveLength(3);
    expect((await app.inject({ method: 'POST', url: '/api/v1/privacy/requests/code', payload: { email: victim }, ...person })).statusCode).toBe(202);
    await smtp.waitFor(sent + 4);
    const code = await smtp.codeFor(victim, sent + 3);
    // The abuser guesses wrong, many times: the person's code survives.
    for (let i = 0; i < 12; i++) {
      const wrong = String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');
      await app.inject({ method: 'POST', url: '/api/v1/privacy/requests', payload: { email: victim, code: wrong, type: 'access' }, ...abuser });
    }
    const made = await app.inject({ method: 'POST', url: '/api/v1/privacy/requests', payload: { email: victim, code, type: 'access' }, ...person });
    expect(made.statusCode, made.body).toBe(201);
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
