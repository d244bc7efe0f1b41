/**
 * Every route in the OpenAPI document, called with malformed input of several kinds by a signed-in
 * owner and by nobody: each answer must be a client error with a stable code, never a 500, and
 * the server must keep working.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.service.js';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from './app.js';
import { signInOwner } from '../../test/support/factories.js';

const HOSTILE = `<script>alert(1)</script>'; drop table subjects; -- \u202e ${'x'.repeat(300)}`;

/** Text no route accepts: a NUL character, a lone high surrogate, a lone low surrogate. */
const UNCLEAN = ['a\u0000b', '\ud800', 'x\udc00y'];

/** Every route the server has, hidden ones (the public HTML forms) included, from Fastify's route tree. */
function allRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*) \(([A-Z, ]+)\)$/.exec(line.replace(/\u00a0/g, ' '));
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const url = stack.join('');
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD' && !url.includes('*')) routes.push({ method, url });
  }
  return routes;
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[]; additionalProperties?: unknown };

/** The paths of every field a request body schema describes, nested objects and arrays included. */
function fieldPaths(schema: JsonSchema | undefined, prefix: Array<string | number> = [], depth = 0): Array<Array<string | number>> {
  if (!schema || depth > 6) return [];
  const out: Array<Array<string | number>> = [];
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) out.push(...fieldPaths(branch, prefix, depth + 1));
  if (schema.properties) for (const [k, v] of Object.entries(schema.properties)) out.push([...prefix, k], ...fieldPaths(v, [...prefix, k], depth + 1));
  else if (schema.additionalProperties) out.push([...prefix, 'anyKey']);
  if (schema.items) out.push([...prefix, 0], ...fieldPaths(schema.items, [...prefix, 0], depth + 1));
  return out;
}

function withValue(path: Array<string | number>, value: unknown): unknown {
  let v = value;
  for (let i = path.length - 1; i >= 0; i--) {
    const k = path[i]!;
    v = typeof k === 'number' ? [v] : { [k]: v };
  }
  return v;
}

/** The fields the public HTML forms read. */
const FORM_FIELDS = ['email', 'code', 'type', 'name', 'details', 'session', 'choice', 'stop-all', 't', 'token', 'List-Unsubscribe'];

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
    token = await signInOwner(app, rt);
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

  it('refuses NUL characters and unpaired surrogates in every field of every route with VALIDATION_FAILED, on every database alike', async () => {
    const doc = (await app.inject('/api/v1/openapi.json')).json() as {
      paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
    };
    const every = allRoutes(app);
    expect(every.length).toBeGreaterThan(routes.length);
    // The public forms are hidden from the API document but must be covered too.
    expect(every).toEqual(expect.arrayContaining([{ method: 'POST', url: '/privacy/requests/submit' }, { method: 'POST', url: '/preferences/verify' }]));
    const failures: string[] = [];
    let sent = 0;
    const expectRefused = async (a: InjectOptions, field: string) => {
      // A fresh address each time: the public pages' per-address rate limits are not under test.
      const remoteAddress = `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}`;
      const res = await app.inject({ ...a, remoteAddress, headers: { authorization: `Bearer ${token}`, ...(a.headers ?? {}) } });
      sent++;
      const error = res.headers['content-type']?.toString().includes('json') ? (res.json() as { error?: { code?: string; details?: Array<{ path?: string }> } }).error : undefined;
      if (res.statusCode !== 400 || error?.code !== 'VALIDATION_FAILED') failures.push(`${a.method} ${String(a.url)} ${field} → ${res.statusCode} ${res.body.slice(0, 160)}`);
      else if (!error.details?.some((d) => d.path === field || d.path?.startsWith(`${field}.`) || d.path?.startsWith(`${field} `))) failures.push(`${a.method} ${String(a.url)} ${field}: details do not name it: ${JSON.stringify(error.details)}`);
    };
    for (const r of every) {
      if (r.url === '/api/v1/auth/logout') continue;
      const method = r.method as InjectOptions['method'];
      const openapiPath = r.url.replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[openapiPath]?.[r.method.toLowerCase()];
      const concrete = r.url.replace(/:\w+/g, '01900000-0000-7000-8000-000000000000');
      // Path parameters.
      for (const name of r.url.match(/:\w+/g) ?? []) {
        await expectRefused({ method, url: r.url.replace(/:\w+/g, (p) => (p === name ? '%00' : '01900000-0000-7000-8000-000000000000')) }, `params.${name.slice(1)}`);
      }
      // Query parameters: the documented ones, and one no route knows.
      const queryNames = [...(op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name), 'unknown'];
      for (const name of queryNames) await expectRefused({ method, url: `${concrete}?${name}=a%00b` }, `querystring.${name}`);
      // A CORS preflight (OPTIONS) carries no body.
      if (r.method === 'GET' || r.method === 'DELETE' || r.method === 'OPTIONS') continue;
      // JSON bodies: every field the schema describes, each value, nested fields included.
      const schema = op?.requestBody?.content?.['application/json']?.schema;
      if (op) {
        const paths = [['anyKey'], ...fieldPaths(schema)];
        for (const p of paths) {
          for (const value of UNCLEAN) await expectRefused({ method, url: concrete, payload: withValue(p, value) as object }, ['body', ...p].join('.'));
        }
        await expectRefused({ method, url: concrete, payload: { ['a\u0000b']: 'x' } }, 'body.?');
      } else {
        // The public forms: urlencoded fields (%00 decodes to NUL) and a raw NUL in the text.
        for (const name of FORM_FIELDS) {
          await expectRefused({ method, url: concrete, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `${name}=a%00b` }, `body.${name}`);
        }
        await expectRefused({ method, url: concrete, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a\u0000b' }, 'body');
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(800);

    // The case: a lone surrogate in a search's purpose no longer reaches the audit chain.
    const search = await app.inject({ method: 'POST', url: '/api/v1/subjects/search', headers: { authorization: `Bearer ${token}` }, payload: { email: 'someone@example.org', purpose: '\ud800' } });
    expect(search.statusCode).toBe(400);
    expect(search.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'body.purpose' }] });
    // A surrogate pair is text like any other: an emoji passes the gate (and fails only the sign-in).
    const emoji = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'owner\u{1F600}', password: 'not it' } });
    expect(emoji.statusCode).toBe(401);
    expect((await verifyAudit(rt.database.db, rt.keyring)).ok).toBe(true);
  }, 240_000);
});
