/**
 * Every route in the OpenAPI document, called with malformed input of several kinds by a signed-in
 * owner and by nobody: each answer must be a client error with a stable code, never a 500, and
 * the server must keep working.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwner } from '../auth/auth.service.js';
import { systemActor } from '../runtime/runtime.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from './app.js';

const HOSTILE = `<script>alert(1)</script>'; drop table subjects; -- \u202e ${'x'.repeat(300)}`;

const BODIES: unknown[] = [
  {},
  [],
  'just a string',
  { id: HOSTILE, email: HOSTILE, type: HOSTILE, records: 'many', relationships: [{}], limit: -1 },
  { nested: { deeper: { deepest: [1, 2, { x: null }] } }, __proto__: { admin: true } },
];

describe.each(dialects)('bad input on every route (%s)', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let token: string;
  let routes: Array<{ method: string; url: string }>;

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, config: { ...rt.config, bodyLimit: 256 * 1024 }, logger: false });
    const first = await ensureOwner(rt, systemActor('test'));
    token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner', password: first!.password } })).json().token;
    const doc = (await app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        // Logging out would revoke the token the rest of the test uses.
        .filter((m) => p !== '/api/v1/auth/logout')
        .map((m) => ({ method: m.toUpperCase(), url: p.replace(/\{[^}]+\}/g, 'not-an-id') })),
    );
    expect(routes.length).toBeGreaterThan(40);
  });
  afterAll(async () => {
    await app.close();
    await rt.close();
  });

  it('answers malformed ids, bodies and query strings with 4xx and a stable error code', async () => {
    const failures: string[] = [];
    let sent = 0;
    const statuses = new Set<number>();
    for (const r of routes) {
      const attempts: InjectOptions[] = [];
      for (const auth of [undefined, `Bearer ${token}`]) {
        const headers = auth ? { authorization: auth } : {};
        attempts.push({ method: r.method as InjectOptions['method'], url: `${r.url}?limit=abc&asOf=yesterday&format=exe&t=${encodeURIComponent(HOSTILE)}`, headers });
        attempts.push({ method: r.method as InjectOptions['method'], url: r.url.replace('not-an-id', '01900000-0000-7000-8000-000000000000'), headers });
        if (r.method !== 'GET' && r.method !== 'DELETE') {
          for (const body of BODIES) attempts.push({ method: r.method as InjectOptions['method'], url: r.url, headers, payload: body as object });
          attempts.push({ method: r.method as InjectOptions['method'], url: r.url, headers: { ...headers, 'content-type': 'application/json' }, payload: '{"unterminated": [' });
        }
      }
      for (const a of attempts) {
        const res = await app.inject(a);
        sent++;
        statuses.add(res.statusCode);
        if (res.statusCode >= 500) failures.push(`${a.method} ${a.url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400 && res.headers['content-type']?.toString().includes('json')) {
          const code = (res.json() as { error?: { code?: string } }).error?.code;
          if (!code || !/^[A-Z_]+$/.test(code)) failures.push(`${a.method} ${a.url} → ${res.statusCode} without a stable code: ${res.body.slice(0, 120)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
    expect([...statuses]).toEqual(expect.arrayContaining([400, 401, 404]));
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok', database: 'ok' });
  }, 120_000);
});
