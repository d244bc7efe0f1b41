/**
 * The edge: the one place an error code becomes an HTTP status. Responses carry the stable code,
 * a message and details; never a stack trace, never the request's data.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isStewardError, type ErrorCode } from '../shared/errors.js';

export const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  POLICY_INVALID: 400,
  POLICY_PARSE_ERROR: 400,
  POLICY_UNREADABLE: 400,
  CONFIG_INVALID: 500,
  BACKUP_WRONG_KEY: 400,
  BACKUP_KEY_RETIRED: 400,
  BACKUP_CORRUPT: 400,
  BACKUP_TRUNCATED: 400,
  BACKUP_UNSUPPORTED: 400,
  RESTORE_TARGET_NOT_EMPTY: 409,
  LEDGER_INVALID: 500,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RESTRICTED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  FORBIDDEN_DATA: 422,
  RATE_LIMITED: 429,
  PASSWORD_CHANGE_REQUIRED: 403,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Array<{ path?: string; message: string }> };
}

/**
 * `onRefusal` sees every StewardError before it is answered (the promises board counts card-data
 * refusals there); it must not throw.
 */
export function registerErrorHandling(app: FastifyInstance, onRefusal?: (err: Error) => Promise<void>): void {
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (isStewardError(err)) {
      if (onRefusal) await onRefusal(err);
      const body: ErrorBody = { error: { code: err.code, message: err.message, ...(err.details.length ? { details: err.details } : {}) } };
      return reply.status(STATUS[err.code]).send(body);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'request'}${v.instancePath.replace(/\//g, '.')}`,
        // Zod's message describes the expectation, never the value received.
        message: v.message ?? 'invalid',
      }));
      return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: 'the request is not valid', details } });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'the request body is too large' } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON, unsupported media type and the like: Fastify's own client errors.
      const code: ErrorCode = err.statusCode === 415 || err.statusCode === 400 ? 'VALIDATION_FAILED' : err.statusCode === 429 ? 'RATE_LIMITED' : 'VALIDATION_FAILED';
      return reply.status(err.statusCode).send({ error: { code, message: err.message.replace(/^FST_\w+: /, '') } });
    }
    // Unexpected: log the error (no request body is ever logged) and answer without detail.
    req.log.error({ err: { type: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'an internal error occurred; it has been logged' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.url.split('?')[0]}` } }),
  );
}
