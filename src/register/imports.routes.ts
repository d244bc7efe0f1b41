/**
 * Imports over HTTP, for the console's import journey: upload a CSV, see the suggested mapping
 * and a dry run (the rows that would be refused, with reasons), then run it as a job whose
 * progress can be polled.
 *
 * The upload stays in this server's memory only (never on disk, never in the database) until it
 * is run or for IMPORT_TTL_MS, and only the user who uploaded it can see or run it. Reports hold
 * column names, counts, line numbers and reasons, never values.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { notFound, StewardError } from '../shared/errors.js';
import { importSubjects, type ImportOptions, type ImportProgress, type ImportSummary } from './import.service.js';
import { readCsvStream } from './register.cli.js';

export const IMPORT_TTL_MS = 30 * 60 * 1000;
/** Largest CSV accepted over HTTP (the CLI streams files of any size). */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;

interface Upload {
  id: string;
  owner: string;
  csv: Buffer;
  options: ImportOptions;
  status: 'checked' | 'running' | 'done' | 'failed';
  progress: ImportProgress;
  check: ImportSummary;
  result?: ImportSummary;
  error?: { code: string; message: string };
  expires: number;
}

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/).max(64);

const rejection = z.object({ line: z.number(), code: z.string(), reason: z.string() });
const summary = z.object({
  rows: z.number(),
  created: z.number(),
  updated: z.number(),
  matched: z.number(),
  skipped: z.number(),
  rejected: z.number(),
  dryRun: z.boolean(),
  columns: z.array(z.object({ column: z.string(), category: z.string(), field: z.string(), label: z.string() })),
  unmapped: z.array(z.object({ column: z.string(), nearest: z.string().optional(), ambiguous: z.array(z.string()).optional() })),
  unmatchable: z.number(),
  skippedLines: z.array(z.number()),
  rejections: z.array(rejection),
  rejectionsOmitted: z.number(),
});
const importView = z.object({
  id: z.string(),
  status: z.enum(['checked', 'running', 'done', 'failed']),
  relationship: z.string(),
  /** The dry run made on upload: the mapping, and what would be created, updated, skipped or refused. */
  check: summary,
  progress: z.object({ rows: z.number(), created: z.number(), updated: z.number(), matched: z.number(), skipped: z.number(), rejected: z.number() }),
  result: summary.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const present = (s: ImportSummary): z.infer<typeof summary> => ({
  rows: s.rows,
  created: s.created,
  updated: s.updated,
  matched: s.matched,
  skipped: s.skipped,
  rejected: s.rejected,
  dryRun: s.dryRun,
  columns: s.columns,
  unmapped: s.unmapped,
  unmatchable: s.unmatchable,
  skippedLines: s.skippedLines,
  rejections: s.rejections,
  rejectionsOmitted: s.rejectionsOmitted,
});

const view = (u: Upload): z.infer<typeof importView> => ({
  id: u.id,
  status: u.status,
  relationship: u.options.relationship,
  check: present(u.check),
  progress: u.progress,
  ...(u.result ? { result: present(u.result) } : {}),
  ...(u.error ? { error: u.error } : {}),
});

export const importRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['register'];
    const uploads = new Map<string, Upload>();
    const sweep = (): void => {
      const now = Date.now();
      for (const [id, u] of uploads) if (u.status !== 'running' && u.expires < now) uploads.delete(id);
    };
    const own = (actor: Actor, id: string): Upload => {
      sweep();
      const u = uploads.get(id);
      // Someone else's import is as good as missing: its existence says nothing.
      if (!u || u.owner !== actor.id) throw notFound('import', id);
      return u;
    };

    app.post(
      `${API_PREFIX}/imports`,
      {
        bodyLimit: Math.ceil(IMPORT_MAX_BYTES * 1.1),
        schema: {
          summary: 'Upload a CSV of people: returns the suggested mapping of its columns to fields and a dry run (nothing written)',
          tags,
          security: bearerSecurity,
          body: z.object({
            relationship: idText,
            /** The file's text, a header row first. */
            csv: z.string().min(1).max(IMPORT_MAX_BYTES),
            map: z.record(z.string().max(200), z.string().max(130)).optional(),
            purposes: z.array(idText).min(1).max(50).optional(),
            source: idText.optional(),
          }),
          response: { 201: importView, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        authorise(actor, 'subjects:write');
        const b = req.body;
        const options: ImportOptions = {
          relationship: b.relationship,
          ...(b.map ? { map: b.map } : {}),
          ...(b.purposes ? { purposes: b.purposes } : {}),
          ...(b.source ? { source: b.source } : {}),
        };
        const csv = Buffer.from(b.csv, 'utf8');
        const check = await importSubjects(deps, actor, readCsvStream(Readable.from([csv]), 'upload'), { ...options, dryRun: true });
        sweep();
        const id = randomUUID();
        const u: Upload = { id, owner: actor.id, csv, options, status: 'checked', progress: { rows: 0, created: 0, updated: 0, matched: 0, skipped: 0, rejected: 0 }, check, expires: Date.now() + IMPORT_TTL_MS };
        uploads.set(id, u);
        reply.code(201);
        return view(u);
      },
    );

    app.post(
      `${API_PREFIX}/imports/:id/run`,
      {
        schema: {
          summary: 'Run a checked import as a job; poll GET /imports/{id} for its progress',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          body: z.object({ addLines: z.array(z.number().int().min(2)).max(1000).optional() }),
          response: { 202: importView, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        authorise(actor, 'subjects:write');
        const u = own(actor, req.params.id);
        if (u.status !== 'checked') throw new StewardError('CONFLICT', `import ${u.id} is ${u.status}: upload the file again to import it again`);
        u.status = 'running';
        const options = { ...u.options, ...(req.body.addLines?.length ? { addLines: req.body.addLines } : {}) };
        void importSubjects(deps, actor, readCsvStream(Readable.from([u.csv]), 'upload'), options, (p) => (u.progress = p))
          .then((result) => {
            u.result = result;
            u.status = 'done';
          })
          .catch((e: unknown) => {
            u.status = 'failed';
            u.error = e instanceof StewardError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: 'the import stopped; batches committed before it are kept, and running it again matches them' };
          })
          .finally(() => {
            // The plaintext upload is dropped as soon as the job ends.
            u.csv = Buffer.alloc(0);
            u.expires = Date.now() + IMPORT_TTL_MS;
          });
        reply.code(202);
        return view(u);
      },
    );

    app.get(
      `${API_PREFIX}/imports/:id`,
      {
        schema: {
          summary: 'An import: its dry run, and once running its progress and result',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          response: { 200: importView, ...errorResponses },
        },
      },
      async (req) => {
        const actor = req.actor;
        authorise(actor, 'subjects:write');
        return view(own(actor, req.params.id));
      },
    );
  };
