import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import { authorise } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { StewardError } from '../shared/errors.js';
import { listAudit, verifyAudit } from './audit.service.js';
import { checkpointAnchor } from './audit.checkpoint.js';
import { witnessAnchors } from './audit.witness.js';
import { usernames } from '../auth/auth.service.js';

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
  /** The username when the actor is a Steward user (null for the CLI, jobs and the public). */
  actorName: z.string().nullable(),
});

const day = z.iso.date('use the form YYYY-MM-DD');

/** The day after a YYYY-MM-DD, as the start of that day in UTC: "to" includes the whole day. */
const dayAfter = (d: string): string => new Date(Date.parse(`${d}T00:00:00.000Z`) + 86_400_000).toISOString();

export const auditRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      `${API_PREFIX}/audit`,
      {
        schema: {
          summary:
            'The audit trail, newest first, a page at a time (next: pass it as before): who did what to whose data, when and why. Filters: subject, action, user (a username, or an actor id such as system:retention), from and to (days, UTC, inclusive). Privacy officer, owner, auditor',
          tags: ['audit'],
          security: bearerSecurity,
          querystring: z.object({
            subject: z.uuid().optional(),
            action: z.string().max(64).optional(),
            user: z.string().min(1).max(100).optional(),
            from: day.optional(),
            to: day.optional(),
            before: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ entries: z.array(entrySchema), next: z.number().nullable() }), ...errorResponses },
        },
      },
      async (req) => {
        authorise(req.actor, 'audit:read');
        const q = req.query;
        if (q.from && q.to && q.from > q.to) throw new StewardError('VALIDATION_FAILED', 'to: the last day comes before the first', [{ path: 'to', message: 'before from' }]);
        // Users are few: one read gives every username, to filter by name and to show names.
        const users = await usernames(deps.database.db);
        const names = new Map(users.map((u) => [u.id, u.username]));
        const actor = q.user ? (users.find((u) => u.username === q.user)?.id ?? q.user) : undefined;
        const page = await listAudit(deps.database.db, {
          limit: q.limit,
          ...(q.subject ? { subjectId: q.subject } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(actor ? { actor } : {}),
          ...(q.from ? { from: `${q.from}T00:00:00.000Z` } : {}),
          ...(q.to ? { until: dayAfter(q.to) } : {}),
          ...(q.before ? { after: q.before } : {}),
        });
        return { entries: page.entries.map((e) => ({ ...e, actorName: names.get(e.actor) ?? null })), next: page.next };
      },
    );

    const problemSchema = z.object({ kind: z.string(), seq: z.number().nullable(), message: z.string() });
    const verifyResponse = z.object({
      ok: z.boolean(),
      entries: z.number(),
      problem: problemSchema.optional(),
      problems: z.array(problemSchema).optional(),
      /** The anchors kept outside the database that the chain was checked against (the witness file, checkpoints given). */
      anchors: z.array(z.object({ source: z.string(), count: z.number() })),
      /** Anchors a restore recorded in the chain replaced (made before it, beyond what its backup held): not problems. */
      superseded: z.array(z.string()).optional(),
    });
    /** Verifies against the witness file and the checkpoints given (their JSON, as mailed). */
    const verify = async (checkpoints: readonly string[]) => {
      const { anchors, anchorProblems } = await witnessAnchors(deps.witness);
      checkpoints.forEach((text, i) => {
        let c: ReturnType<typeof checkpointAnchor>;
        try {
          c = checkpointAnchor(text, deps.keyring);
        } catch {
          throw new StewardError('VALIDATION_FAILED', `checkpoints[${i}]: not a checkpoint (paste its JSON as it was mailed)`, [{ path: `checkpoints.${i}`, message: 'not a checkpoint' }]);
        }
        if (c.anchor) anchors.push(c.anchor);
        if (c.problem) anchorProblems.push(c.problem);
      });
      const result = await verifyAudit(deps.database.db, deps.keyring, { anchors, anchorProblems });
      // Where the server keeps its files is the administrator's business, not an API client's.
      const where = deps.witness ? `the witness file ${deps.witness.path}` : undefined;
      const plain = (text: string): string => (where ? text.replaceAll(where, 'the witness file') : text);
      const problem = (p: { kind: string; seq: number | null; message: string }) => ({ ...p, message: plain(p.message) });
      return {
        ...result,
        ...(result.problem ? { problem: problem(result.problem) } : {}),
        ...(result.problems ? { problems: result.problems.map(problem) } : {}),
        ...(result.superseded ? { superseded: result.superseded.map(plain) } : {}),
        anchors: anchors.map((a) => ({ source: plain(a.source), count: a.count })),
      };
    };

    app.get(
      `${API_PREFIX}/audit/verify`,
      {
        schema: {
          summary: 'Walk the hash chain and report every altered, inserted or removed entry, and a rollback or wipe the witness reveals',
          tags: ['audit'],
          security: bearerSecurity,
          response: { 200: verifyResponse, ...errorResponses },
        },
      },
      async (req) => {
        authorise(req.actor, 'audit:read');
        return verify([]);
      },
    );

    app.post(
      `${API_PREFIX}/audit/verify`,
      {
        schema: {
          summary: 'Verify the chain as GET does, and also against checkpoints mailed to the privacy contact (their JSON): a rollback past one, or a forged one, is reported',
          tags: ['audit'],
          security: bearerSecurity,
          body: z.object({ checkpoints: z.array(z.string().max(4000)).max(50) }),
          response: { 200: verifyResponse, ...errorResponses },
        },
      },
      async (req) => {
        authorise(req.actor, 'audit:read');
        return verify(req.body.checkpoints);
      },
    );
  };
