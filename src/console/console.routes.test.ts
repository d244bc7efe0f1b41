import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from './console.routes.js';

describe('the console is served at /console', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'steward-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>c</title><script type="module" src="/console/assets/index-abc.js"></script>');
    writeFileSync(path.join(dir, 'assets/index-abc.js'), 'console.log(1)');
    app = Fastify();
    await app.register(consoleRoutes({ distDir: dir }));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers client routes with the page, never cached, and hashed assets cached for a year', async () => {
    expect((await app.inject('/console')).headers.location).toBe('/console/');
    for (const url of ['/console/', '/console/people/0b8c3c1e-1111-4111-8111-111111111111', '/console/requests']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('/console/assets/index-abc.js');
    }
    const js = await app.inject('/console/assets/index-abc.js');
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const again = await app.inject({ url: '/console/assets/index-abc.js', headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('answers a missing asset or file with 404 rather than the page', async () => {
    expect((await app.inject('/console/assets/nope.js')).statusCode).toBe(404);
    expect((await app.inject('/console/favicon.ico')).statusCode).toBe(404);
    expect((await app.inject('/console/../package.json')).statusCode).not.toBe(200);
  });

  it('says how to build the console when it has not been built', async () => {
    const bare = Fastify();
    await bare.register(consoleRoutes({ distDir: path.join(dir, 'missing') }));
    const res = await bare.inject('/console/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:console');
    await bare.close();
  });
});
