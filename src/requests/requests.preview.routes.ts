import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { previewFulfil } from './requests.preview.js';
import { fulfilBody } from './requests.routes.js';

const previewSchema = z.object({
  letter: z.object({ subject: z.string(), text: z.string() }),
  pack: z.object({ records: z.number(), files: z.array(z.object({ name: z.string(), bytes: z.number(), text: z.string().nullable() })) }).nullable(),
});

export const requestPreviewRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.post(
      `${API_PREFIX}/requests/:id/fulfil/preview`,
      {
        schema: {
          summary:
            'Preview the answer to a request: the letter (with the same input as fulfil) and, for access and portability, the pack; nothing stored or sent (reading the records is audited)',
          tags: ['rights requests'],
          security: bearerSecurity,
          params: z.object({ id: z.string().min(1).max(64) }),
          body: fulfilBody.optional(),
          response: { 200: previewSchema, ...errorResponses },
        },
      },
      async (req) => previewFulfil(deps, req.actor, req.params.id, req.body ?? {}),
    );
  };
