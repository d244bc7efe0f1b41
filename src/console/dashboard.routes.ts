import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { dashboard } from './dashboard.service.js';

const dashboardSchema = z.object({
  asOf: z.string(),
  requests: z
    .object({
      open: z.number(),
      overdue: z.number(),
      list: z.array(z.object({ id: z.string(), reference: z.string(), type: z.string(), status: z.string(), dueOn: z.string(), daysLeft: z.number() })),
    })
    .nullable(),
  breaches: z
    .object({
      open: z.number(),
      list: z.array(z.object({ id: z.string(), reference: z.string(), risk: z.string().nullable(), icoState: z.string(), deadlineAt: z.string(), hoursLeft: z.number() })),
    })
    .nullable(),
  holdsToReview: z.object({ within30Days: z.number(), overdue: z.number() }).nullable(),
  consentRenewals: z.object({ within30Days: z.number() }).nullable(),
  findings: z.object({
    errors: z.number(),
    warnings: z.number(),
    infos: z.number(),
    top: z.array(z.object({ rule: z.string(), severity: z.string(), message: z.string() })),
  }),
  promises: z.array(z.object({ id: z.string(), promise: z.string(), evidence: z.array(z.string()), kept: z.boolean().nullable() })),
});

export const dashboardRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      `${API_PREFIX}/dashboard`,
      {
        schema: {
          summary: 'What is due, and the evidence that each promise of the notice is kept (sections the role may not read are null)',
          tags: ['console'],
          security: bearerSecurity,
          response: { 200: dashboardSchema, ...errorResponses },
        },
      },
      async (req) => dashboard(deps, req.actor),
    );
  };
