/**
 * GET /api/v1/policy/promises: the promises board. Internal (any signed-in role), like the record of
 * processing: it shows where the declaration fails its own notice.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { presentPromises, promisesReportSchema } from './promises.presenter.js';
import { simulatePromises } from './promises.simulate.js';

export const promisesRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    // The declaration changes only with a restart: walk it once.
    const report = presentPromises(simulatePromises(deps.policy.policy, deps.policy));
    app.get(
      `${API_PREFIX}/policy/promises`,
      {
        schema: {
          summary: "Each relationship's path through the declaration: when each category goes, under which purpose and rule, beside what the notice promises",
          tags: ['policy'],
          security: bearerSecurity,
          response: { 200: promisesReportSchema },
        },
      },
      async (req) => {
        req.actor;
        return report;
      },
    );
  };
