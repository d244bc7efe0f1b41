/**
 * The staff console at /console: the React app built by Vite into console/dist, served from memory
 * (a few small files, read once at start-up). Hashed assets are cached for a year; the page itself
 * is never cached, and any client route under /console gets the page (the app routes itself).
 * The console is a client of the public API like any other; nothing here grants it anything.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export const CONSOLE_PREFIX = '/console';
export const consoleDistDir = path.resolve(import.meta.dirname, '../../console/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function readDist(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      if (statSync(full).isDirectory()) walk(r);
      else {
        const body = readFileSync(full);
        files.set(r, {
          body,
          type: TYPES[path.extname(name)] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          // Vite names everything under assets/ by content hash.
          immutable: r.startsWith('assets/'),
        });
      }
    }
  };
  walk('');
  return files;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><main><h1>The console has not been built</h1><p>Run <code>npm run build:console</code> (npm start does it for you), then restart.</p></main></body></html>`;

export const consoleRoutes =
  (opts: { distDir?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    const dir = opts.distDir ?? consoleDistDir;
    const files = existsSync(path.join(dir, 'index.html')) ? readDist(dir) : undefined;

    const send = (reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined) => {
      reply.header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('etag', asset.etag);
      if (ifNoneMatch === asset.etag) return reply.status(304).send();
      return reply.type(asset.type).send(asset.body);
    };

    app.get(CONSOLE_PREFIX, { schema: { hide: true } }, async (_req, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 302));
    app.get(`${CONSOLE_PREFIX}/*`, { schema: { hide: true } }, async (req, reply) => {
      if (!files) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      const rel = (req.params as { '*': string })['*'];
      const asset = files.get(rel);
      if (asset) return send(reply, asset, req.headers['if-none-match']);
      // A missing asset is a 404; anything else is a client route, answered with the app's page.
      if (rel.startsWith('assets/') || path.extname(rel) !== '') return reply.status(404).type('text/plain; charset=utf-8').send('not found');
      return send(reply, files.get('index.html')!, req.headers['if-none-match']);
    });
  };
