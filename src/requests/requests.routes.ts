/**
 * Rights requests over HTTP: the staff API under /api/v1/requests, and the public privacy centre
 * under /api/v1/privacy/requests (no sign-in, rate-limited per IP, the same answer whether or not
 * an address is known). Each handler: authenticate, validate, call the domain, present.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { Actor } from '../auth/roles.js';
import { IDENTITY_EVIDENCE } from '../policy/schema.rights.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { enforceLimit, PUBLIC_LIMITS } from '../server/public-pages.js';
import { errorResponses } from '../server/schemas.js';
import { StewardError } from '../shared/errors.js';
import { askFee, FEE_REASONS, recordFeeReceived, waiveFee } from './requests.fees.js';
import { AUTHORITY_EVIDENCE, REFUSAL_REASONS } from './requests.checks.js';
import { fulfilRequest } from './requests.fulfil.js';
import { liftRestriction } from './requests.fulfil.corrections.js';
import { downloadPack } from './requests.pack-links.js';
import { mayHoldPackLinks, presentRequest, presentSummary, requestResponse, summaryResponse } from './requests.presenter.js';
import { sendCode } from '../kernel/email-codes.js';
import { submitPublicRequest } from './requests.public.js';
import {
  addNote,
  completeTask,
  confirmMatch,
  extendRequest,
  getRequest,
  listRequests,
  matchRequest,
  openRequest,
  overdueRequests,
  pauseRequest,
  refuseRequest,
  resumeRequest,
  verifyRequest,
  withdrawRequest,
} from './requests.service.js';
import type { RequestView } from './requests.view.js';
import { REQUEST_CHANNELS, REQUEST_TYPES, STATUSES } from './requests.store.js';

const BASE = `${API_PREFIX}/requests`;
const PUBLIC = `${API_PREFIX}/privacy/requests`;
const ref = z.string().min(1).max(64);
const params = z.object({ id: ref });
const date = z.iso.date();
const text = (max = 5000) => z.string().max(max);

export const openBody = z.strictObject({
  type: z.enum(REQUEST_TYPES),
  channel: z.enum(REQUEST_CHANNELS),
  receivedOn: date.optional(),
  requester: z.strictObject({ name: text(200).optional(), email: text(320).optional(), phone: text(40).optional(), address: text(1000).optional() }),
  representative: z.strictObject({ name: text(200), acting: text(200) }).optional(),
  details: text().optional(),
  identity: z.array(z.enum(IDENTITY_EVIDENCE)).max(10).optional(),
});

export const fulfilBody = z.strictObject({
  redactions: z.array(z.strictObject({ recordId: z.string().max(64), find: z.array(z.string().min(1).max(1000)).min(1).max(100) })).max(1000).optional(),
  legalClaims: z.array(z.strictObject({ category: z.string().max(64), reason: text(500), until: date.optional() })).max(100).optional(),
  changes: z
    .array(
      z.strictObject({
        recordId: z.string().max(64),
        value: text(10_000).optional(),
        /** Corrected values by field id; null or an empty value removes the field. */
        fields: z.record(z.string().max(64), z.string().max(10_000).nullable()).optional(),
        text: z.string().max(1_000_000).optional(),
      }),
    )
    .max(500)
    .optional(),
  compellingGrounds: text().optional(),
  purposes: z.array(z.string().max(64)).max(100).optional(),
});

const subjectSummary = z.object({ id: z.string(), restricted: z.boolean(), createdAt: z.string(), relationships: z.array(z.string()) });

export const requestRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['rights requests'];
    const ok = { 200: requestResponse, ...errorResponses };
    // Pack links are shown to those who may hold them.
    const present = (req: FastifyRequest, v: RequestView) => presentRequest(v, { packLinks: mayHoldPackLinks(req.actor, deps.policy) });

    app.post(
      BASE,
      { schema: { summary: 'Record a rights request received by email, phone, letter or the web (staff and above)', tags, security: bearerSecurity, body: openBody, response: { 201: requestResponse, ...errorResponses } } },
      async (req, reply) => reply.status(201).send(present(req, await openRequest(deps, req.actor, req.body))),
    );
    app.get(
      BASE,
      {
        schema: {
          summary: 'Requests by due date (no personal data)',
          tags,
          security: bearerSecurity,
          querystring: z.object({ status: z.enum(STATUSES).optional(), open: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(500).default(200) }),
          response: { 200: z.object({ requests: z.array(summaryResponse) }), ...errorResponses },
        },
      },
      async (req) => ({
        requests: (await listRequests(deps, req.actor, { limit: req.query.limit, open: req.query.open === 'true', ...(req.query.status ? { status: req.query.status } : {}) })).map(presentSummary),
      }),
    );
    app.get(
      `${BASE}/overdue`,
      { schema: { summary: 'Running requests past their deadline', tags, security: bearerSecurity, response: { 200: z.object({ requests: z.array(summaryResponse) }), ...errorResponses } } },
      async (req) => ({ requests: (await overdueRequests(deps, req.actor)).map(presentSummary) }),
    );
    app.get(
      `${BASE}/:id`,
      { schema: { summary: 'A request by id or reference, with its clock, evidence, letters and Art 19 tasks', tags, security: bearerSecurity, params, querystring: z.object({ history: z.enum(['true', 'false']).optional() }), response: ok } },
      async (req) => present(req, await getRequest(deps, req.actor, req.params.id, { history: req.query.history === 'true' })),
    );
    app.post(
      `${BASE}/:id/verify`,
      {
        schema: {
          summary: 'Record identity evidence (kinds only: never document numbers or copies) and a representative\'s authority; the clock starts when complete',
          tags,
          security: bearerSecurity,
          params,
          body: z.strictObject({ evidence: z.array(z.string().max(64)).max(10).optional(), authority: z.enum(AUTHORITY_EVIDENCE).optional(), receivedOn: date.optional(), note: text().optional() }),
          response: ok,
        },
      },
      async (req) => present(req, await verifyRequest(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/match`,
      { schema: { summary: 'Possible matches in the register by the requester\'s email and phone (blind indexes)', tags, security: bearerSecurity, params, response: { 200: z.object({ candidates: z.array(subjectSummary) }), ...errorResponses } } },
      async (req) => ({ candidates: (await matchRequest(deps, req.actor, req.params.id)).candidates }),
    );
    app.post(
      `${BASE}/:id/subject`,
      { schema: { summary: 'Confirm which person the request is about (null: no one in the register)', tags, security: bearerSecurity, params, body: z.strictObject({ subjectId: z.uuid().nullable() }), response: ok } },
      async (req) => present(req, await confirmMatch(deps, req.actor, req.params.id, req.body.subjectId)),
    );
    app.post(
      `${BASE}/:id/pause`,
      { schema: { summary: 'Ask for clarification: the clock stops from the day asked', tags, security: bearerSecurity, params, body: z.strictObject({ askedOn: date.optional(), question: text().optional() }), response: ok } },
      async (req) => present(req, await pauseRequest(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/resume`,
      { schema: { summary: 'The clarification arrived: the clock runs again', tags, security: bearerSecurity, params, body: z.strictObject({ answeredOn: date.optional() }), response: ok } },
      async (req) => present(req, await resumeRequest(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/extend`,
      { schema: { summary: 'Extend once, to three months, with reasons; the notice goes to the person now', tags, security: bearerSecurity, params, body: z.strictObject({ reasons: text() }), response: ok } },
      async (req) => present(req, await extendRequest(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/fee`,
      {
        schema: {
          summary: 'Ask for a reasonable fee (manifestly unfounded or excessive request, or further copies of an access pack): the request waits, and its clock starts when the fee arrives; the letter says how much and why',
          tags,
          security: bearerSecurity,
          params,
          body: z.strictObject({
            amount: z.string().max(20).describe('pounds and pence, e.g. "10.00" (at most 1000.00)'),
            reason: z.enum(FEE_REASONS),
            explanation: text().describe('why: the person is told, and the organisation must be able to show it (Art 12(5))'),
            askedOn: date.optional(),
          }),
          response: ok,
        },
      },
      async (req) => present(req, await askFee(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/fee/paid`,
      { schema: { summary: 'The fee arrived: the clock starts that day at the earliest and the request continues', tags, security: bearerSecurity, params, body: z.strictObject({ receivedOn: date.optional() }), response: ok } },
      async (req) => present(req, await recordFeeReceived(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/fee/waive`,
      { schema: { summary: 'Withdraw the request for a fee, with a reason: the request is free and its clock as if no fee had been asked', tags, security: bearerSecurity, params, body: z.strictObject({ reason: text() }), response: ok } },
      async (req) => present(req, await waiveFee(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/fulfil`,
      { schema: { summary: 'Fulfil by type (access pack, portability, erasure, rectification, restriction, objection, withdrawal) and send the response letter', tags, security: bearerSecurity, params, body: fulfilBody, response: ok } },
      async (req) => present(req, (await fulfilRequest(deps, req.actor, req.params.id, req.body)).view),
    );
    app.post(
      `${BASE}/:id/refuse`,
      { schema: { summary: 'Refuse with reasons; the letter names the right to complain to the ICO and to go to court', tags, security: bearerSecurity, params, body: z.strictObject({ reason: z.enum(REFUSAL_REASONS), explanation: text() }), response: ok } },
      async (req) => present(req, (await refuseRequest(deps, req.actor, req.params.id, req.body)).view),
    );
    app.post(
      `${BASE}/:id/withdraw`,
      { schema: { summary: 'The person withdrew the request', tags, security: bearerSecurity, params, body: z.strictObject({ note: text().optional() }), response: ok } },
      async (req) => present(req, await withdrawRequest(deps, req.actor, req.params.id, req.body)),
    );
    app.post(
      `${BASE}/:id/notes`,
      { schema: { summary: 'Add a note', tags, security: bearerSecurity, params, body: z.strictObject({ text: text() }), response: ok } },
      async (req) => present(req, await addNote(deps, req.actor, req.params.id, req.body.text)),
    );
    app.post(
      `${BASE}/:id/tasks/:task/done`,
      { schema: { summary: 'Art 19: a recipient has been told', tags, security: bearerSecurity, params: z.object({ id: ref, task: z.uuid() }), response: ok } },
      async (req) => present(req, await completeTask(deps, req.actor, req.params.id, req.params.task)),
    );
    app.post(
      `${BASE}/:id/lift-restriction`,
      { schema: { summary: 'Lift a restriction: record when and how the person was told first (Art 18(3))', tags, security: bearerSecurity, params, body: z.strictObject({ toldOn: date, method: z.enum(['email', 'letter', 'phone', 'in-person']) }), response: ok } },
      async (req) => present(req, (await liftRestriction(deps, req.actor, req.params.id, req.body)).view),
    );

    // ——— public privacy centre: no sign-in ———
    const accepted = z.object({ status: z.literal('accepted'), message: z.string() });

    app.post(
      `${PUBLIC}/code`,
      { config: { public: true }, schema: { summary: 'Privacy centre, step 1: mail a code to prove control of an email address (same answer for every address)', tags: ['privacy centre'], body: z.strictObject({ email: z.string().max(320) }), response: { 202: accepted, ...errorResponses } } },
      async (req, reply) => {
        await enforceLimit(deps, PUBLIC_LIMITS.requestApiCodes, req);
        await sendCode(deps, 'request', req.body.email, { ip: req.ip, log: req.log });
        return reply.status(202).send({ status: 'accepted' as const, message: 'If the address can receive mail, a code is on its way. It is valid for 15 minutes.' });
      },
    );
    app.post(
      PUBLIC,
      {
        config: { public: true }, schema: {
          summary: 'Privacy centre, step 2: make a request with the code',
          tags: ['privacy centre'],
          body: z.strictObject({ email: z.string().max(320), code: z.string().max(12), type: z.enum(REQUEST_TYPES), name: text(200).optional(), details: text().optional() }),
          response: { 201: z.object({ reference: z.string(), dueOn: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        await enforceLimit(deps, PUBLIC_LIMITS.requestApi, req);
        const r = await submitPublicRequest(deps, req.body, req.ip);
        if (!r) throw new StewardError('VALIDATION_FAILED', 'code: the code is wrong or has expired; ask for a new one', [{ path: 'code', message: 'wrong or expired' }]);
        return reply.status(201).send(r);
      },
    );
    app.get(
      `${PUBLIC}/download`,
      { config: { public: true }, schema: { summary: 'Download a released pack by its signed, expiring link', tags: ['privacy centre'], querystring: z.object({ t: z.string().max(200) }), response: { 200: z.any(), ...errorResponses } } },
      async (req, reply) => {
        await enforceLimit(deps, PUBLIC_LIMITS.requestApi, req);
        const pack = await downloadPack(deps, req.query.t, req.ip);
        if (!pack) throw new StewardError('NOT_FOUND', 'this link is not valid or has expired; ask us for a new one');
        return reply.type('application/zip').header('content-disposition', `attachment; filename="${pack.filename}"`).send(pack.data);
      },
    );
  };
