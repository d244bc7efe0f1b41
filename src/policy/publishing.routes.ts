/**
 * The published notice over HTTP:
 *
 *   GET  /privacy, /privacy.md      the latest publication; before any, the loaded declaration
 *                                   marked "Draft — not published"
 *   GET  /privacy/versions          every publication, newest first, with what changed
 *   GET  /privacy/versions/{id}     one publication's notice, as it was published
 *   POST /api/v1/policy/publish     publish the loaded declaration (owner or dpo)
 *   GET  /api/v1/policy/versions    the publications, for the console
 *
 * The publication in force is read on every request, so a `steward policy publish` made while the
 * server runs (or by another instance) is served at once; renderings are kept per version.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import { page } from '../server/public-pages.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { sendHtml } from '../server/html.js';
import { errorResponses } from '../server/schemas.js';
import { escapeHtml } from '../shared/html.js';
import { formatDate } from './notice.text.js';
import { renderNotice, type NoticeFormat, type RenderNoticeOptions } from './notice.render.js';
import type { LoadedPolicy } from './policy.loader.js';
import { currentPublication, findPublication, listPublications, publishedDeclaration, publishNotice, REASON_MAX, type Publication } from './publishing.service.js';

const publicationSchema = z.object({
  id: z.number(),
  versionId: z.number(),
  hash: z.string(),
  effectiveDate: z.string(),
  publishedAt: z.string(),
  publishedBy: z.string(),
  forcedReason: z.string().nullable(),
  errors: z.number(),
  warnings: z.number(),
  changes: z.array(z.string()),
});

/** What leaves the server about a publication: all of it (no personal data of data subjects). */
const present = (p: Publication): z.infer<typeof publicationSchema> => ({ ...p, changes: [...p.changes] });

export const publishingRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const rendered = new Map<string, string>();
    const render = (loaded: LoadedPolicy, format: NoticeFormat, banner: RenderNoticeOptions['banner']): string => {
      const key = `${loaded.hash}:${format}:${banner ?? ''}`;
      let out = rendered.get(key);
      if (out === undefined) {
        out = renderNotice(loaded, format, { baseUrl: deps.config.baseUrl, privacyCentre: true, banner });
        if (rendered.size > 64) rendered.clear();
        rendered.set(key, out);
      }
      return out;
    };
    /** The notice in force: the latest publication, or the loaded declaration as a draft. */
    const inForce = async (): Promise<{ loaded: LoadedPolicy; draft: boolean }> => {
      const p = await currentPublication(deps.database.db);
      return p ? { loaded: await publishedDeclaration(deps.database.db, p), draft: false } : { loaded: deps.policy, draft: true };
    };
    const serve = (format: NoticeFormat) => async (req: { headers: Record<string, string | string[] | undefined> }, reply: import('fastify').FastifyReply) => {
      const { loaded, draft } = await inForce();
      const etag = `"${loaded.hash.slice(0, 32)}${draft ? '-draft' : ''}"`;
      reply.header('etag', etag).header('cache-control', draft ? 'no-store' : 'public, max-age=60');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type(format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8').send(render(loaded, format, draft ? 'draft' : undefined));
    };

    app.get('/privacy', { schema: { summary: 'The privacy notice in force (HTML); a marked draft before the first publication', tags: ['notice'] } }, serve('html'));
    app.get('/privacy.md', { schema: { summary: 'The privacy notice in force (Markdown)', tags: ['notice'] } }, serve('md'));

    app.get('/privacy/versions', { schema: { hide: true } }, async (_req, reply) => {
      const org = deps.policy.policy.organisation.name;
      const list = await listPublications(deps.database.db);
      const items = list.map((p, i) => {
        const when = p.publishedAt.slice(0, 10);
        const state = i === 0 ? ' <strong>(in force)</strong>' : '';
        const forced = p.forcedReason ? `<p class="note">Published although the checks found ${p.errors} problem(s) to fix.</p>` : '';
        return `<li><a href="/privacy/versions/${p.id}">Effective ${escapeHtml(formatDate(p.effectiveDate))}</a>${state}, published ${escapeHtml(formatDate(when))} (version <code>${escapeHtml(p.hash.slice(0, 12))}</code>)
<ul>${p.changes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>${forced}</li>`;
      });
      const body = list.length
        ? `<p>Every version of our privacy notice that has been published, newest first, with what changed in each.</p><ol reversed>${items.join('\n')}</ol>`
        : '<p>No version of our privacy notice has been published yet. <a href="/privacy">The current draft</a> is marked as such.</p>';
      return sendHtml(reply.header('cache-control', 'no-store'), 200, page(org, 'Versions of our privacy notice', `${body}\n<p><a href="/privacy">The notice in force</a></p>`));
    });

    app.get('/privacy/versions/:id', { schema: { hide: true, params: z.object({ id: z.string().max(20) }) } }, async (req, reply) => {
      const org = deps.policy.policy.organisation.name;
      const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
      const p = await findPublication(deps.database.db, id);
      if (!p) return sendHtml(reply, 404, page(org, 'No such version', '<p>There is no published version with that number. See <a href="/privacy/versions">all versions</a>.</p>'));
      const current = await currentPublication(deps.database.db);
      const loaded = await publishedDeclaration(deps.database.db, p);
      return reply
        .header('cache-control', 'public, max-age=60')
        .type('text/html; charset=utf-8')
        .send(render(loaded, 'html', current?.id === p.id ? undefined : 'earlier'));
    });

    app.post(
      `${API_PREFIX}/policy/publish`,
      {
        schema: {
          summary: 'Publish the loaded declaration as the notice in force (owner or dpo). Refused with CONFLICT when it has lint errors, unless force with a reason.',
          tags: ['policy'],
          security: bearerSecurity,
          body: z.object({ force: z.boolean().default(false), reason: z.string().max(REASON_MAX).optional() }).strict().default({ force: false }),
          response: { 200: z.object({ alreadyInForce: z.boolean(), publication: publicationSchema }), 201: z.object({ alreadyInForce: z.boolean(), publication: publicationSchema }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const r = await publishNotice(deps, actor, { force: req.body.force, reason: req.body.reason });
        return reply.status(r.alreadyInForce ? 200 : 201).send({ alreadyInForce: r.alreadyInForce, publication: present(r.publication) });
      },
    );

    app.get(
      `${API_PREFIX}/policy/versions`,
      {
        schema: {
          summary: 'Every publication of the notice, newest first: hash, effective date, who, when, forced reason, what changed',
          tags: ['policy'],
          security: bearerSecurity,
          response: { 200: z.object({ versions: z.array(publicationSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        // Who published and why a version was forced are internal: any signed-in role.
        req.actor;
        return { versions: (await listPublications(deps.database.db)).map(present) };
      },
    );
  };
