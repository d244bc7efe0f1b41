/**
 * Security headers on every family of response: the front page, the notice, the HTML notice route,
 * the API reference and its files, API JSON, public forms, 404s and errors.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from './app.js';
import { signInOwner } from '../../test/support/factories.js';

const directives = (res: LightMyRequestResponse): Map<string, string[]> => {
  const csp = String(res.headers['content-security-policy'] ?? '');
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
};

describe.each(dialects)('security headers (%s)', (kind) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    rt = await createTestRuntime(kind);
    app = await buildApp({ ...rt, logger: false });
    token = await signInOwner(app, rt);
  });
  afterAll(async () => {
    await app.close();
    await rt.close();
  });

  const expectCommon = (res: LightMyRequestResponse, what: string) => {
    expect(res.headers['x-frame-options'], what).toBe('DENY');
    expect(res.headers['x-content-type-options'], what).toBe('nosniff');
    expect(res.headers['referrer-policy'], what).toBe('no-referrer');
    const d = directives(res);
    expect(d.get('frame-ancestors'), what).toEqual(["'none'"]);
    expect(d.get('default-src'), what).toEqual(["'none'"]);
    expect(d.get('base-uri'), what).toEqual(["'none'"]);
    // Nowhere may inline script or eval run.
    const script = d.get('script-src') ?? [];
    expect(script.filter((s) => s.includes('unsafe')), what).toEqual([]);
    expect(d.get('style-src') ?? [], what).not.toContain("'unsafe-inline'");
    return d;
  };

  it('every page of Steward carries a strict policy naming only its own style block', async () => {
    const pages = ['/', '/privacy', '/api/v1/policy/notice?format=html', '/privacy/requests', '/preferences'];
    for (const url of pages) {
      const p = { url };
      const res = await app.inject(url);
      expect(res.statusCode, p.url).toBe(200);
      expect(res.headers['content-type'], p.url).toContain('text/html');
      const d = expectCommon(res, String(p.url));
      expect(d.get('script-src'), p.url).toEqual(["'none'"]);
      const styles = [...res.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
      expect(styles.length, p.url).toBeGreaterThan(0);
      expect(d.get('style-src'), p.url).toEqual([...new Set(styles)]);
    }
  });

  it('the API reference may load its own scripts, styles and images, and nothing inline', async () => {
    const page = await app.inject('/api/v1/docs/');
    expect(page.statusCode).toBe(200);
    const d = expectCommon(page, 'docs');
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('img-src')).toEqual(["'self'", 'data:']);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    // Swagger UI's page has no inline script: every script it names is a file from this origin.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const m of page.body.matchAll(/<script[^>]*src="([^"]+)"/g)) {
      const src = m[1]!.startsWith('.') ? `/api/v1/docs/${m[1]!.slice(2)}` : m[1]!;
      const file = await app.inject(src);
      expect(file.statusCode, src).toBe(200);
      expectCommon(file, src);
    }
    const redirect = await app.inject('/api/v1/docs');
    expectCommon(redirect, '/api/v1/docs');
  });

  it('API answers, files, 404s and errors carry the headers too', async () => {
    const cases: Array<[InjectOptions & { url: string }, number]> = [
      [{ url: '/healthz' }, 200],
      [{ url: '/api/v1/openapi.json' }, 200],
      [{ url: '/api/v1/audit', headers: { authorization: `Bearer ${token}` } }, 200],
      [{ url: '/api/v1/policy/ropa?format=csv', headers: { authorization: `Bearer ${token}` } }, 200],
      [{ url: '/privacy.md' }, 200],
      [{ url: '/api/v1/audit' }, 401],
      [{ url: '/no/such/page' }, 404],
      [{ url: '/api/v1/subjects/not-an-id', headers: { authorization: `Bearer ${token}` } }, 400],
      [{ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"unterminated' }, 400],
    ];
    for (const [req, status] of cases) {
      const res = await app.inject(req);
      expect(res.statusCode, req.url).toBe(status);
      const d = expectCommon(res, req.url);
      expect(d.get('script-src'), req.url).toBeUndefined();
    }
  });
});
