/**
 * Plain HTML pages for the public (unsubscribe, preferences, the privacy centre): how they are
 * sent and how their forms are read. No script, no cookies; every value in a page is escaped by
 * the page that builds it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The Content-Security-Policy and the other security headers are set for every response in security-headers.ts. */
export const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
};

export function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).headers(HTML_HEADERS).send(html);
}

/**
 * A form body (urlencoded), from a route whose content-type parser keeps bodies as text; empty
 * for anything else.
 */
export function formOf(req: FastifyRequest): URLSearchParams {
  const body = req.body;
  const type = String(req.headers['content-type'] ?? '');
  if (typeof body === 'string' && type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(body);
  return new URLSearchParams();
}
