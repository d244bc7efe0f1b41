/**
 * One gate for text on every route: before any schema or handler sees a request, its path
 * parameters, query string and body (JSON, or a form read as text) are searched for NUL characters
 * and unpaired surrogates (see shared/text.ts), and such a request is refused with
 * VALIDATION_FAILED naming the fields. Registered on the root instance, so it covers every route,
 * the public HTML forms included, on both databases alike.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isCleanText, uncleanTextPaths, UNCLEAN_TEXT_MESSAGE } from '../shared/text.js';
import { StewardError } from '../shared/errors.js';

function bodyProblems(req: FastifyRequest): string[] {
  const body = req.body;
  if (typeof body !== 'string') return uncleanTextPaths(body, 'body');
  // A body kept as text (the public forms): the raw text, and its fields once decoded, since
  // %00 decodes to NUL.
  if (!isCleanText(body)) return ['body'];
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-www-form-urlencoded')) return [];
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) fields[k] = fields[k] === undefined ? v : `${fields[k]}\n${v}`;
  return uncleanTextPaths(fields, 'body');
}

export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const paths = [...uncleanTextPaths(req.params, 'params'), ...uncleanTextPaths(req.query, 'querystring'), ...bodyProblems(req)];
    if (paths.length === 0) return;
    throw new StewardError(
      'VALIDATION_FAILED',
      `${paths.length === 1 ? paths[0] : `${paths.length} fields`} ${UNCLEAN_TEXT_MESSAGE}`,
      paths.map((path) => ({ path, message: UNCLEAN_TEXT_MESSAGE })),
    );
  });
}
