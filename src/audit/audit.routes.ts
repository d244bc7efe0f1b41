import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorFrom, bearerSecurity } from '../auth/auth.http.js';
import { authorise } from '../auth/roles.js';
import type { AppDeps } from '../server/app.js';
import { API_PREFIX } from '../server/app.js';
import { errorResponses } from '../server/schemas.js';
import { listAudit, verifyAudit } from './audit.service.js';
import { witnessAnchors } from './audit.witness.js';

const entrySchema = z.object({
  seq: z.number(),
  at: z.string(),
  actor: z.string(),
  actorRole: z.string().nullable(),
  ip: z.string().nullable(),
  action: z.string(),
  subjectId: z.string().nullable(),
  recordId: z.string().nullable(),
  purpose: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const auditRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      `${API_PREFIX}/audit`,
      {
        schema: {
          summary: 'The audit trail, newest first: who did what to whose data, when and why (privacy officer, owner, auditor)',
          tags: ['audit'],
          security: bearerSecurity,
          querystring: z.object({
            subject: z.uuid().optional(),
            action: z.string().max(64).optional(),
            before: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ entries: z.array(entrySchema), next: z.number().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        authorise(await actorFrom(deps, req), 'audit:read');
        return listAudit(deps.database.db, {
          limit: req.query.limit,
          ...(req.query.subject ? { subjectId: req.query.subject } : {}),
          ...(req.query.action ? { action: req.query.action } : {}),
          ...(req.query.before ? { after: req.query.before } : {}),
        });
      },
    );

    app.get(
      `${API_PREFIX}/audit/verify`,
      {
        schema: {
          summary: 'Walk the hash chain and report every altered, inserted or removed entry, and a rollback or wipe the witness reveals',
          tags: ['audit'],
          security: bearerSecurity,
          response: {
            200: z.object({
              ok: z.boolean(),
              entries: z.number(),
              problem: z.object({ kind: z.string(), seq: z.number().nullable(), message: z.string() }).optional(),
              problems: z.array(z.object({ kind: z.string(), seq: z.number().nullable(), message: z.string() })).optional(),
              superseded: z.array(z.string()).optional(),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        authorise(await actorFrom(deps, req), 'audit:read');
        return verifyAudit(deps.database.db, deps.keyring, await witnessAnchors(deps.witness));
      },
    );
  };
