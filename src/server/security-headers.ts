/**
 * Security headers on every response, set in one place (an onSend hook on the root instance, so it
 * also covers 404s, errors, static files and the API reference).
 *
 * The Content-Security-Policy allows no script anywhere except the API reference (Swagger UI) and
 * the console, whose scripts are files served from this origin (no inline script: its initialiser is a file
 * too). Steward's own pages are plain HTML with one inline <style> block: rather than allowing
 * every inline style ('unsafe-inline'), the policy names the hash of each style block the page
 * actually carries (CSP Level 2 hash sources), so an injected <style> or style attribute is still
 * refused. frame-ancestors 'none' and X-Frame-Options (for browsers without CSP Level 2) stop
 * every page being framed (clickjacking of the public forms).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Where Swagger UI and the console are served; their pages and files need their own allowances. */
export interface SecurityHeaderOptions {
  docsPrefix: string;
  consolePrefix: string;
}

const COMMON = ["base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"];

/** Anything that is not an HTML page (JSON, CSV, files): nothing may load from it. */
export const NON_HTML_CSP = ["default-src 'none'", ...COMMON].join('; ');

/**
 * Swagger UI: its bundle, preset and initialiser are files from this origin; its stylesheets
 * likewise; the logo is a data: URL set by the initialiser; it fetches the OpenAPI document and
 * (with "Try it out") the API itself from this origin. No inline script.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  ...COMMON,
].join('; ');

/**
 * The console (a React app built by Vite): its script and stylesheet are hashed files from this
 * origin, and it talks only to this origin's API. No inline script or style, nothing from elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  ...COMMON,
].join('; ');

const STYLE_BLOCK = /<style(?:\s[^>]*)?>([\s\S]*?)<\/style>/gi;

/** The policy for one of Steward's own HTML pages: no script, and only the style blocks it carries. */
export function htmlPageCsp(html: string): string {
  const hashes = new Set<string>();
  for (const m of html.matchAll(STYLE_BLOCK)) hashes.add(`'sha256-${createHash('sha256').update(m[1] ?? '', 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    "script-src 'none'",
    hashes.size > 0 ? `style-src ${[...hashes].join(' ')}` : "style-src 'none'",
    "img-src 'self' data:",
    ...COMMON,
  ].join('; ');
}

export function registerSecurityHeaders(app: FastifyInstance, opts: SecurityHeaderOptions): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const path = req.url.split('?')[0] ?? '';
    const type = String(reply.getHeader('content-type') ?? '');
    let csp: string;
    if (path === opts.docsPrefix || path.startsWith(`${opts.docsPrefix}/`)) csp = DOCS_CSP;
    else if (path === opts.consolePrefix || path.startsWith(`${opts.consolePrefix}/`)) csp = CONSOLE_CSP;
    else if (type.startsWith('text/html')) csp = htmlPageCsp(typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '');
    else csp = NON_HTML_CSP;
    reply.header('content-security-policy', csp);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
