import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login } from '../auth/auth.service.js';
import type { Role } from '../auth/roles.js';
import { createSubject } from '../register/register.service.js';
import { registerAuthentication } from '../auth/auth.http.js';
import { API_PREFIX } from '../server/api.js';
import { registerErrorHandling } from '../server/errors.js';
import { dialects } from '../../test/support/databases.js';
import { actorWith, createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { retentionRoutes } from './retention.routes.js';
import { systemActor } from '../kernel/actors.js';

const RETENTION_POLICY = path.resolve(import.meta.dirname, '../../test/fixtures/retention/policy.yaml');

describe.each(dialects)('retention over HTTP on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tokens: Partial<Record<Role, string>> = {};
  const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

  beforeAll(async () => {
    rt = await createTestRuntime(kind, { policyFile: RETENTION_POLICY });
    // The retention routes on their own, behind the server's real validation and error edge.
    app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(app);
    registerAuthentication(app, rt, { apiPrefix: API_PREFIX, publicPrefixes: [] });
    await app.register(retentionRoutes(rt));
    await app.ready();
    for (const role of ['owner', 'dpo', 'staff', 'auditor'] as const) {
      const { password } = await createUser(rt, systemActor('test'), { username: `${role}-user`, role, password: 'correct horse battery' });
      tokens[role] = (await login(rt, `${role}-user`, password, '127.0.0.1')).token;
    }
  });
  afterAll(async () => {
    await app.close();
    await rt.close();
  });

  const customer = async () =>
    (
      await createSubject(rt, actorWith('staff'), {
        relationships: [{ relationship: 'customer' }, { relationship: 'newsletter-subscriber' }],
        records: [
          { category: 'name', value: 'Ada Example', purposes: ['service'] },
          { category: 'email-address', value: 'ada.news@example.org', purposes: ['newsletter'] },
        ],
      })
    ).id;

  it('records events, plans, explains, runs through holds and reviews: a walk through the API', async () => {
    const s = await customer();
    const ev = await app.inject({ method: 'POST', url: '/api/v1/events', headers: as('staff'), payload: { subjectId: s, type: 'account-closed', date: '2019-01-31', relationship: 'customer' } });
    expect(ev.statusCode).toBe(201);
    expect(ev.json()).toMatchObject({ subjectId: s, type: 'account-closed', date: '2019-01-31', relationship: 'customer', origin: 'api' });
    const list = await app.inject({ url: `/api/v1/events?subject=${s}`, headers: as('auditor') });
    expect(list.json().events).toHaveLength(1);
    // Back-dated by staff: pending until the privacy officer approves it, and the plan says so.
    expect(ev.json()).toMatchObject({ status: 'pending', pendingUntil: null });
    const before = (await app.inject({ url: '/api/v1/retention/plan', headers: as('auditor') })).json();
    expect(before.totals.due).toBe(0);
    expect(before.pendingEvents.map((e: { id: string }) => e.id)).toEqual([ev.json().id]);
    expect((await app.inject({ method: 'POST', url: `/api/v1/events/${ev.json().id}/approve`, headers: as('staff') })).statusCode).toBe(403);
    const approved = await app.inject({ method: 'POST', url: `/api/v1/events/${ev.json().id}/approve`, headers: as('dpo') });
    expect(approved.json()).toMatchObject({ status: 'active', reviewedBy: expect.any(String) });

    const plan = await app.inject({ url: '/api/v1/retention/plan', headers: as('auditor') });
    expect(plan.statusCode).toBe(200);
    const body = plan.json();
    expect(body.totals).toMatchObject({ due: 1, waiting: 1 });
    expect(body.items[0]).toMatchObject({ subjectId: s, category: 'name', status: 'due', rule: 'six-years-after-account', end: '2025-01-31' });
    expect(body.policy).toEqual({ hash: rt.policy.hash });
    expect(plan.body).not.toContain('Ada');
    expect(plan.body).not.toContain(rt.policy.file);

    const hold = await app.inject({ method: 'POST', url: '/api/v1/holds', headers: as('dpo'), payload: { subjectId: s, reason: 'Claim 42', reviewOn: '2026-12-01' } });
    expect(hold.statusCode).toBe(201);
    expect((await app.inject({ url: `/api/v1/retention/subjects/${s}`, headers: as('dpo') })).json().records[0]).toMatchObject({ status: 'held', holds: [hold.json().id] });
    expect((await app.inject({ url: '/api/v1/holds', headers: as('auditor') })).json().holds.map((h: { id: string }) => h.id)).toEqual([hold.json().id]);
    const released = await app.inject({ method: 'DELETE', url: `/api/v1/holds/${hold.json().id}?reason=settled`, headers: as('dpo') });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ id: hold.json().id, releasedAt: '2026-03-02T10:00:00.000Z', releasedBy: expect.any(String) });
    expect((await app.inject({ url: '/api/v1/holds?all=true', headers: as('dpo') })).json().holds).toHaveLength(1);

    const why = await app.inject({ url: `/api/v1/retention/subjects/${s}?asOf=2019-02-01`, headers: as('dpo') });
    expect(why.json().records.map((r: { status: string }) => r.status)).toEqual(['scheduled', 'waiting']);
    expect(why.json().records[0].purposes[0]).toMatchObject({ kind: 'ends', end: '2025-01-31', from: { event: 'account-closed', on: '2019-01-31' } });
  });

  it('lists and decides reviews', async () => {
    const c = (await createSubject(rt, actorWith('staff'), { relationships: [{ relationship: 'contact' }], records: [{ category: 'name', value: 'Contact', purposes: ['contacts'], collectedAt: '2022-01-10' }] })).id;
    const due = await app.inject({ url: '/api/v1/retention/reviews', headers: as('auditor') });
    expect(due.json()).toMatchObject({ due: 1, reviews: [{ subjectId: c, rule: 'contacts-review', dueOn: '2025-01-10', lastReview: null }] });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/retention/reviews', headers: as('dpo'), payload: { subjectId: c, rule: 'contacts-review', decision: 'maybe', reason: 'x' } });
    expect(bad.statusCode).toBe(400);
    const kept = await app.inject({ method: 'POST', url: '/api/v1/retention/reviews', headers: as('dpo'), payload: { subjectId: c, rule: 'contacts-review', decision: 'keep', reason: 'Still a supplier', nextReviewOn: '2027-01-01' } });
    expect(kept.statusCode).toBe(201);
    expect(kept.json()).toMatchObject({ decision: 'keep', nextReviewOn: '2027-01-01', deleted: 0 });
    expect((await app.inject({ url: '/api/v1/retention/reviews?asOf=2027-01-01', headers: as('auditor') })).json().reviews[0]).toMatchObject({ subjectId: c, lastReview: { decision: 'keep', decidedOn: '2026-03-02' } });
  });

  it('answers bad input, unknown ids and missing rights with stable codes, never a 500', async () => {
    const s = await customer();
    const cases: Array<{ method?: 'GET' | 'POST' | 'DELETE'; url: string; role?: Role | null; payload?: unknown; status: number; code: string }> = [
      { url: '/api/v1/retention/plan', role: null, status: 401, code: 'UNAUTHENTICATED' },
      { url: '/api/v1/retention/plan', role: 'staff', status: 403, code: 'FORBIDDEN' },
      { url: '/api/v1/retention/plan?asOf=2026-02-30', status: 400, code: 'VALIDATION_FAILED' },
      { url: '/api/v1/retention/plan?asOf=tomorrow', status: 400, code: 'VALIDATION_FAILED' },
      { url: '/api/v1/retention/plan?detail=-1', status: 400, code: 'VALIDATION_FAILED' },
      { url: '/api/v1/retention/plan?detail=99999999999', status: 400, code: 'VALIDATION_FAILED' },
      { url: '/api/v1/retention/subjects/not-a-uuid', status: 400, code: 'VALIDATION_FAILED' },
      { url: '/api/v1/retention/subjects/0190a000-0000-7000-8000-000000000000', status: 404, code: 'NOT_FOUND' },
      { url: '/api/v1/events', status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-exploded', date: '2026-01-01' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-closed', date: '31/01/2026' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-closed', date: 20260101 }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-closed', date: '2026-01-01', relationship: '<script>' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-closed', date: '2026-01-01', relationship: 'prospect' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: '0190a000-0000-7000-8000-000000000000', type: 'account-closed', date: '2026-01-01' }, status: 404, code: 'NOT_FOUND' },
      { method: 'POST', url: '/api/v1/events', role: 'auditor', payload: { subjectId: s, type: 'account-closed', date: '2026-01-01' }, status: 403, code: 'FORBIDDEN' },
      { method: 'POST', url: '/api/v1/events', payload: { subjectId: s, type: 'account-closed', date: 'x'.repeat(100_000) }, status: 413, code: 'PAYLOAD_TOO_LARGE' },
      { method: 'DELETE', url: '/api/v1/events/0190a000-0000-7000-8000-000000000000', role: 'staff', status: 403, code: 'FORBIDDEN' },
      { method: 'DELETE', url: '/api/v1/events/0190a000-0000-7000-8000-000000000000', role: 'dpo', status: 404, code: 'NOT_FOUND' },
      { method: 'POST', url: '/api/v1/holds', role: 'dpo', payload: { reason: 'x', reviewOn: '2026-12-01' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/holds', role: 'dpo', payload: { category: 'shoe-size', reason: 'x', reviewOn: '2026-12-01' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/holds', role: 'dpo', payload: { subjectId: s, reason: 'x', reviewOn: '2020-01-01' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/holds', role: 'dpo', payload: { subjectId: s, reason: '   ', reviewOn: '2026-12-01' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/holds', role: 'staff', payload: { subjectId: s, reason: 'x', reviewOn: '2026-12-01' }, status: 403, code: 'FORBIDDEN' },
      { method: 'DELETE', url: '/api/v1/holds/0190a000-0000-7000-8000-000000000000', role: 'dpo', status: 404, code: 'NOT_FOUND' },
      { method: 'POST', url: '/api/v1/retention/reviews', role: 'dpo', payload: { subjectId: s, rule: 'six-years-after-account', decision: 'keep', reason: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { method: 'POST', url: '/api/v1/retention/reviews', role: 'dpo', payload: { subjectId: s, rule: 'contacts-review', decision: 'keep', reason: 'x' }, status: 409, code: 'CONFLICT' },
      { method: 'POST', url: '/api/v1/retention/reviews', role: 'auditor', payload: { subjectId: s, rule: 'contacts-review', decision: 'keep', reason: 'x' }, status: 403, code: 'FORBIDDEN' },
    ];
    for (const c of cases) {
      const role = c.role === undefined ? 'dpo' : c.role;
      const res = await app.inject({ method: c.method ?? 'GET', url: c.url, ...(role ? { headers: as(role) } : {}), ...(c.payload !== undefined ? { payload: c.payload as object } : {}) });
      expect([c.method ?? 'GET', c.url, res.statusCode, res.json().error?.code]).toEqual([c.method ?? 'GET', c.url, c.status, c.code]);
      expect(res.body).not.toContain('<script>');
    }
  });
});
