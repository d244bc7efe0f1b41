import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from './app.js';
import { bearer, signInAs, signInOwner } from '../../test/support/factories.js';
import type { Role } from '../auth/roles.js';

describe.each(dialects)('HTTP API on %s', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let owner: string;
  const auth = bearer;

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 1024 * 1024 }, logger: false });
    owner = await signInOwner(app, rt);
  });
  afterAll(async () => {
    await app.close();
    await rt.close();
  });

  const tokenFor = async (role: Role, jobRoles: string[] = []): Promise<string> =>
    (await signInAs(app, rt, [role], { suffix: `-${Math.random().toString(36).slice(2, 8)}`, jobRoles, owner }))[role];

  it('serves health, the OpenAPI document, its reference page and the privacy notice', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok', database: 'ok' });
    const doc = (await app.inject('/api/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/subjects', '/api/v1/subjects/search', '/api/v1/audit', '/api/v1/policy/findings', '/healthz']));
    expect(doc.paths['/api/v1/subjects'].post.requestBody).toBeDefined();
    const docs = await app.inject('/api/v1/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    const notice = await app.inject('/privacy');
    expect(notice.headers['content-type']).toContain('text/html');
    expect(notice.body).toContain('Test Telecoms');
    expect((await app.inject({ url: '/privacy', headers: { 'if-none-match': notice.headers.etag as string } })).statusCode).toBe(304);
    expect((await app.inject('/privacy.md')).body).toContain('Test Telecoms');
    expect((await app.inject('/api/v1/policy/ropa')).statusCode).toBe(401);
    const ropa = await app.inject({ url: '/api/v1/policy/ropa?format=csv', headers: auth(owner) });
    expect(ropa.headers['content-type']).toContain('text/csv');
    expect(ropa.body.split('\r\n').filter(Boolean)).toHaveLength(4);
    const findings = (await app.inject('/api/v1/policy/findings')).json();
    expect(findings.findings.every((f: { rule: string }) => typeof f.rule === 'string')).toBe(true);
  });

  it('walks a person through the API: create, find by email, read, and see who looked in the audit trail', async () => {
    const staff = await tokenFor('staff');
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: auth(staff),
      payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'Mary Somerville' }, { category: 'email-address', value: 'mary@example.org' }] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const found = await app.inject({ method: 'POST', url: '/api/v1/subjects/search', headers: auth(staff), payload: { email: 'MARY@example.org' } });
    expect(found.json().subjects.map((s: { id: string }) => s.id)).toEqual([id]);
    const read = await app.inject({ url: `/api/v1/subjects/${id}?purpose=service`, headers: auth(staff) });
    expect(read.json().records.map((r: { value: string }) => r.value)).toEqual(['Mary Somerville', 'mary@example.org']);
    const dpo = await tokenFor('dpo');
    const trail = await app.inject({ url: `/api/v1/audit?subject=${id}`, headers: auth(dpo) });
    expect(trail.statusCode).toBe(200);
    const entries = trail.json().entries as Array<{ action: string; actorRole: string; purpose: string | null }>;
    expect(entries.map((e) => e.action)).toEqual(['subject.read', 'subject.create']);
    expect(entries[0]).toMatchObject({ actorRole: 'staff', purpose: 'service' });
    expect(trail.body).not.toContain('mary@example.org');
    expect((await app.inject({ url: '/api/v1/audit', headers: auth(staff) })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/audit/verify', headers: auth(dpo) })).json()).toMatchObject({ ok: true });
  });

  it('honours category restrictions and roles over HTTP', async () => {
    const dpo = await tokenFor('dpo');
    const staff = await tokenFor('staff');
    const tech = await tokenFor('staff', ['tech-manager']);
    const auditor = await tokenFor('auditor');
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/subjects',
      headers: auth(dpo),
      payload: {
        relationships: [{ relationship: 'customer' }],
        records: [{ category: 'call-recording', file: { name: 'call.wav', contentType: 'audio/wav', base64: Buffer.from('RIFF').toString('base64') } }],
      },
    });
    const id = created.json().id;
    expect((await app.inject({ url: `/api/v1/subjects/${id}`, headers: auth(staff) })).json()).toMatchObject({ records: [], withheld: [{ category: 'call-recording', count: 1 }] });
    const asTech = (await app.inject({ url: `/api/v1/subjects/${id}`, headers: auth(tech) })).json();
    expect(Buffer.from(asTech.records[0].file.base64, 'base64').toString()).toBe('RIFF');
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/subjects/${id}`, headers: auth(staff) })).json().error.code).toBe('FORBIDDEN');
    expect((await app.inject({ method: 'POST', url: '/api/v1/subjects', headers: auth(auditor), payload: { relationships: [{ relationship: 'customer' }] } })).statusCode).toBe(403);
    const erased = await app.inject({ method: 'DELETE', url: `/api/v1/subjects/${id}?reason=test`, headers: auth(dpo) });
    expect(erased.json()).toEqual({ erased: true, records: 1 });
  });

  it('scopes API tokens to a role no higher than their creator', async () => {
    const staff = await tokenFor('staff');
    const up = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(staff), payload: { name: 'sneaky', role: 'owner' } });
    expect(up.statusCode).toBe(403);
    const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(owner), payload: { name: 'CRM sync', role: 'auditor' } });
    expect(made.statusCode).toBe(201);
    const token = made.json().token as string;
    expect((await app.inject({ url: '/api/v1/auth/me', headers: auth(token) })).json()).toMatchObject({ role: 'auditor', kind: 'token' });
    const stored = await rt.database.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${made.json().details.id}`, headers: auth(owner) });
    expect((await app.inject({ url: '/api/v1/auth/me', headers: auth(token) })).statusCode).toBe(401);
  });

  it('answers bad input with a clear error and a stable code, never a 500', async () => {
    const staff = await tokenFor('staff');
    const cases: Array<[InjectOptions, number, string]> = [
      [{ url: '/api/v1/subjects' }, 401, 'UNAUTHENTICATED'],
      [{ url: '/api/v1/subjects', headers: { authorization: 'Bearer stw_nope' } }, 401, 'UNAUTHENTICATED'],
      [{ url: '/api/v1/subjects/not-a-uuid', headers: auth(staff) }, 400, 'VALIDATION_FAILED'],
      [{ url: '/api/v1/subjects/0190a4c2-0000-7000-8000-000000000000', headers: auth(staff) }, 404, 'NOT_FOUND'],
      [{ url: '/api/v1/subjects?limit=100000', headers: auth(staff) }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/subjects', headers: { ...auth(staff), 'content-type': 'application/json' }, payload: '{"relationships": [' }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/subjects', headers: auth(staff), payload: { relationships: 'customer' } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/subjects', headers: auth(staff), payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'name', value: 'x'.repeat(2_000_000) }] } }, 413, 'PAYLOAD_TOO_LARGE'],
      [{ method: 'POST', url: '/api/v1/subjects', headers: auth(staff), payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'call-notes', text: 'card 4111-1111-1111-1111' }] } }, 422, 'FORBIDDEN_DATA'],
      [{ method: 'POST', url: '/api/v1/subjects', headers: auth(staff), payload: { relationships: [{ relationship: '<script>alert(1)</script>' }] } }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/subjects/search', headers: auth(staff), payload: {} }, 400, 'VALIDATION_FAILED'],
      [{ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: 'wrong' } }, 401, 'UNAUTHENTICATED'],
      [{ url: '/api/v1/nowhere' }, 404, 'NOT_FOUND'],
    ];
    for (const [req, status, code] of cases) {
      const res = await app.inject(req);
      expect({ url: req.url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url: req.url, status, code });
    }
    const leak = await app.inject({ method: 'POST', url: '/api/v1/subjects', headers: auth(staff), payload: { relationships: [{ relationship: 'customer' }], records: [{ category: 'call-notes', text: 'card 4111-1111-1111-1111' }] } });
    expect(leak.body).not.toContain('4111');
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });
});
