/**
 * The declaration over HTTP, under /api/v1/policy. The published notice (/privacy) and its
 * versions are in publishing.routes.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { bearerSecurity } from '../auth/auth.http.js';
import { LINT_RULES, lintPolicy } from './policy.lint.js';
import { policyJsonSchema } from './policy.schema.js';
import { currentPublication } from './publishing.service.js';
import { renderNotice } from './notice.render.js';
import { renderRopaCsv, renderRopaXlsx } from './ropa.js';

const findingSchema = z.object({
  rule: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  path: z.string(),
  line: z.number().optional(),
  column: z.number().optional(),
  message: z.string(),
  /** What to write to fix it (the rule's advice; docs/lint-rules.md has more). */
  fix: z.string(),
});

export const policyRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const loaded = deps.policy;
    // The loaded declaration's notice, for review: marked as a draft unless it is the one published.
    const renderLoaded = async (format: 'html' | 'md'): Promise<string> => {
      const published = (await currentPublication(deps.database.db))?.hash === loaded.hash;
      return renderNotice(loaded, format, { baseUrl: deps.config.baseUrl, privacyCentre: true, ...(published ? {} : { banner: 'draft' as const }) });
    };
    app.get(
      `${API_PREFIX}/policy`,
      {
        config: { public: true }, schema: {
          summary: 'The declaration in force: version and contents',
          tags: ['policy'],
          response: { 200: z.object({ hash: z.string(), effectiveDate: z.string(), organisation: z.string(), declaration: z.record(z.string(), z.unknown()) }) },
        },
      },
      async () => ({
        hash: loaded.hash,
        effectiveDate: loaded.policy.notice.effective_date,
        organisation: loaded.policy.organisation.name,
        declaration: loaded.policy as unknown as Record<string, unknown>,
      }),
    );

    app.get(
      `${API_PREFIX}/policy/findings`,
      {
        config: { public: true }, schema: {
          summary: 'Lint findings for the declaration in force: where (path, line, column), what, and how to fix each',
          tags: ['policy'],
          response: { 200: z.object({ errors: z.number(), warnings: z.number(), infos: z.number(), findings: z.array(findingSchema) }) },
        },
      },
      async () => {
        const fixes = new Map(LINT_RULES.map((r) => [r.id, r.fix]));
        const findings = lintPolicy(loaded).map((f) => ({ ...f, fix: fixes.get(f.rule) ?? '' }));
        const count = (s: string) => findings.filter((f) => f.severity === s).length;
        return { errors: count('error'), warnings: count('warning'), infos: count('info'), findings };
      },
    );

    app.get(
      `${API_PREFIX}/policy/notice`,
      {
        config: { public: true }, schema: {
          summary: 'The loaded declaration\'s privacy notice in a chosen format (marked as a draft unless it is the published one)',
          tags: ['policy'],
          querystring: z.object({ format: z.enum(['html', 'md']).default('html') }),
        },
      },
      async (req, reply) =>
        req.query.format === 'md'
          ? reply.type('text/markdown; charset=utf-8').send(await renderLoaded('md'))
          : reply.type('text/html; charset=utf-8').send(await renderLoaded('html')),
    );

    app.get(
      `${API_PREFIX}/policy/ropa`,
      {
        schema: {
          summary: 'The Art 30 record of processing (CSV or XLSX); internal, so any signed-in role',
          tags: ['policy'],
          security: bearerSecurity,
          querystring: z.object({ format: z.enum(['csv', 'xlsx']).default('csv') }),
        },
      },
      async (req, reply) => {
        req.actor;
        const base = `record-of-processing-${loaded.policy.notice.effective_date}`;
        if (req.query.format === 'xlsx') {
          return reply
            .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
            .header('content-disposition', `attachment; filename="${base}.xlsx"`)
            .send(await renderRopaXlsx(loaded));
        }
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${base}.csv"`).send(renderRopaCsv(loaded));
      },
    );

    app.get(`${API_PREFIX}/policy/schema`, { config: { public: true }, schema: { summary: 'JSON Schema of the declaration format', tags: ['policy'] } }, async () => policyJsonSchema());
  };
