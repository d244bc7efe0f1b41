/**
 * Complaints over HTTP: the staff API under /api/v1/complaints, and the public complaint form at
 * /privacy/complaints (plain HTML, no script or cookies, rate-limited per IP, the same answer
 * whether or not an address is known).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { codeFormRoutes } from '../server/code-form.js';
import { sendHtml } from '../server/html.js';
import { CODE_FIELD, emailStep, page, PUBLIC_LIMITS, publicForms } from '../server/public-pages.js';
import { errorResponses } from '../server/schemas.js';
import { escapeHtml } from '../shared/html.js';
import { formatDate } from '../policy/notice.text.js';
import { submitPublicComplaint } from './complaints.public.js';
import { OUTCOMES } from './complaints.doc.js';
import { acknowledgeComplaint, addStep, closeComplaint, COMPLAINT_CHANNELS, COMPLAINT_STATUSES, getComplaint, LIMITS, linkSubject, listComplaints, logComplaint, type ComplaintView } from './complaints.service.js';

const BASE = `${API_PREFIX}/complaints`;
export const COMPLAINT_PAGES = { start: '/privacy/complaints', code: '/privacy/complaints/code', submit: '/privacy/complaints/submit' } as const;

const complaintSchema = z.object({
  id: z.string(),
  reference: z.string(),
  channel: z.string(),
  status: z.string(),
  receivedOn: z.string(),
  ackDueOn: z.string(),
  acknowledgedOn: z.string().nullable(),
  ackOverdue: z.boolean(),
  closedOn: z.string().nullable(),
  outcome: z.string().nullable(),
  subjectId: z.string().nullable(),
  noticeHash: z.string(),
  complainant: z.object({ name: z.string().optional(), email: z.string().optional(), phone: z.string().optional(), address: z.string().optional() }),
  summary: z.string(),
  steps: z.array(z.object({ at: z.string(), by: z.string(), text: z.string(), informed: z.boolean() })),
  outcomeExplanation: z.string().nullable(),
  letters: z.array(z.object({ kind: z.string(), at: z.string(), subject: z.string(), text: z.string(), sentTo: z.string() })),
});
const summarySchema = complaintSchema.pick({ id: true, reference: true, channel: true, status: true, receivedOn: true, ackDueOn: true, acknowledgedOn: true, ackOverdue: true, closedOn: true, outcome: true });

/** Every field that leaves the server about a complaint, for staff allowed to read it. */
export function presentComplaint(v: ComplaintView): z.infer<typeof complaintSchema> {
  return {
    id: v.id,
    reference: v.reference,
    channel: v.channel,
    status: v.status,
    receivedOn: v.receivedOn,
    ackDueOn: v.ackDueOn,
    acknowledgedOn: v.acknowledgedOn,
    ackOverdue: v.ackOverdue,
    closedOn: v.closedOn,
    outcome: v.outcome,
    subjectId: v.subjectId,
    noticeHash: v.noticeHash,
    complainant: { ...v.doc.complainant },
    summary: v.doc.summary,
    steps: v.doc.steps.map((s) => ({ at: s.at, by: s.by, text: s.text, informed: s.informed })),
    outcomeExplanation: v.doc.outcome?.explanation ?? null,
    letters: v.doc.letters.map((l) => ({ kind: l.kind, at: l.at, subject: l.subject, text: l.text, sentTo: l.sentTo })),
  };
}

const params = z.object({ id: z.string().max(64) });

export const complaintRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const one = { 200: complaintSchema, ...errorResponses };

    app.post(
      BASE,
      {
        schema: {
          summary: 'Log a complaint received by another channel (phone, letter, email, in person); the 30-day acknowledgement clock starts on receivedOn',
          tags: ['complaints'],
          security: bearerSecurity,
          body: z
            .object({
              channel: z.enum(COMPLAINT_CHANNELS),
              receivedOn: z.string().max(10).optional(),
              complainant: z.object({ name: z.string().max(LIMITS.name).optional(), email: z.string().max(320).optional(), phone: z.string().max(40).optional(), address: z.string().max(1000).optional() }).strict(),
              summary: z.string().max(LIMITS.text),
              subjectId: z.string().max(64).optional(),
            })
            .strict(),
          response: { 201: complaintSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentComplaint(await logComplaint(deps, req.actor, req.body))),
    );
    app.get(
      BASE,
      { schema: { summary: 'The complaints register (no personal data), newest first', tags: ['complaints'], security: bearerSecurity, querystring: z.object({ status: z.enum(COMPLAINT_STATUSES).optional() }), response: { 200: z.object({ complaints: z.array(summarySchema) }), ...errorResponses } } },
      async (req) => ({ complaints: await listComplaints(deps, req.actor, { status: req.query.status }) }),
    );
    app.get(`${BASE}/:id`, { schema: { summary: 'A complaint, with who made it, steps and letters (audited)', tags: ['complaints'], security: bearerSecurity, params, response: one } }, async (req) =>
      presentComplaint(await getComplaint(deps, req.actor, req.params.id)),
    );
    app.post(`${BASE}/:id/acknowledge`, { schema: { summary: 'Acknowledge receipt (s.164A(3)); sends the acknowledgement letter', tags: ['complaints'], security: bearerSecurity, params, response: one } }, async (req) =>
      presentComplaint((await acknowledgeComplaint(deps, req.actor, req.params.id)).view),
    );
    app.post(
      `${BASE}/:id/steps`,
      { schema: { summary: 'Record a step taken; inform: true also writes to the person about progress', tags: ['complaints'], security: bearerSecurity, params, body: z.object({ text: z.string().max(LIMITS.text), inform: z.boolean().default(false) }).strict(), response: one } },
      async (req) => presentComplaint((await addStep(deps, req.actor, req.params.id, req.body)).view),
    );
    app.post(
      `${BASE}/:id/close`,
      { schema: { summary: 'Close with the outcome (s.164A(4)(b)); sends the outcome letter', tags: ['complaints'], security: bearerSecurity, params, body: z.object({ outcome: z.enum(OUTCOMES), explanation: z.string().max(LIMITS.text) }).strict(), response: one } },
      async (req) => presentComplaint((await closeComplaint(deps, req.actor, req.params.id, req.body)).view),
    );
    app.put(
      `${BASE}/:id/subject`,
      { schema: { summary: 'Tie the complaint to a person in the register (it then appears in their access pack)', tags: ['complaints'], security: bearerSecurity, params, body: z.object({ subjectId: z.string().max(64) }).strict(), response: one } },
      async (req) => presentComplaint((await linkSubject(deps, req.actor, req.params.id, req.body.subjectId)).view),
    );
  };

const FORM_LIMITS = { email: 320, name: 200, summary: LIMITS.text };

interface Fields {
  name: string;
  summary: string;
}

function startPage(org: string, message?: string): string {
  return page(
    org,
    'Make a complaint',
    `${message ? `<p><strong>${escapeHtml(message)}</strong></p>` : ''}<p>If you are unhappy with how ${escapeHtml(org)} has used your personal information, tell us here. We will acknowledge your complaint straight away, look into it, keep you informed, and tell you the outcome without undue delay.</p>
<p>You can also complain to the Information Commissioner's Office (ico.org.uk), but please give us the chance to put things right first.</p>
<p>First, your email address: we send a code to it, so that we know the complaint comes from you.</p>
${emailStep(COMPLAINT_PAGES.code, FORM_LIMITS.email)}`,
  );
}

function detailsPage(org: string, email: string, message?: string, kept: Partial<Fields> = {}): string {
  return page(
    org,
    'Your complaint',
    `<p>${escapeHtml(message ?? 'We have sent a six-digit code to your email address. It works for 15 minutes.')}</p>
<form method="post" action="${COMPLAINT_PAGES.submit}"><input type="hidden" name="email" value="${escapeHtml(email)}">
${CODE_FIELD}
<label>Your name (optional) <input type="text" name="name" maxlength="${FORM_LIMITS.name}" autocomplete="name" value="${escapeHtml(kept.name ?? '')}"></label>
<label>What happened, and what you would like us to do (no bank or card numbers, please)<br><textarea name="summary" rows="8" cols="50" required maxlength="${FORM_LIMITS.summary}">${escapeHtml(kept.summary ?? '')}</textarea></label>
<button type="submit">Send my complaint</button></form>`,
  );
}

export const complaintPages =
  (deps: AppContext): FastifyPluginAsync =>
  async (app) => {
    const org = deps.policy.policy.organisation.name;
    publicForms(app, deps, PUBLIC_LIMITS.complaintPages, (reply) => sendHtml(reply, 429, startPage(org, 'Too many requests from your network: please wait a few minutes and try again.')));
    codeFormRoutes<Fields>(app, deps, {
      purpose: 'complaint',
      paths: COMPLAINT_PAGES,
      codeLimit: PUBLIC_LIMITS.complaintCodes,
      startPage: (message) => startPage(org, message),
      codePage: (email, message, kept) => detailsPage(org, email, message, kept),
      read: (form) => {
        const fields = { name: (form.get('name') ?? '').trim().slice(0, FORM_LIMITS.name), summary: (form.get('summary') ?? '').trim().slice(0, FORM_LIMITS.summary) };
        return { fields, problem: fields.summary ? undefined : 'Tell us what your complaint is about.' };
      },
      submit: async ({ email, code, fields, ip }) => {
        const r = await submitPublicComplaint(deps, { email, code, summary: fields.summary, name: fields.name }, ip);
        return (
          r && {
            status: 201,
            html: page(org, 'We have your complaint', `<p>Your reference is <strong>${escapeHtml(r.reference)}</strong>. We received your complaint on ${escapeHtml(formatDate(r.receivedOn))} and have emailed you an acknowledgement.</p><p>We will look into it, keep you informed, and tell you the outcome without undue delay.</p>`),
          }
        );
      },
      refused: (fields, cardData) => (cardData ? { ...fields, summary: '' } : fields),
    });
  };
