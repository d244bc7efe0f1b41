/**
 * Accountability over HTTP: the processors register (contracts, Art 28 terms, sub-processors,
 * assurance, transfer tests), assessments with the DPIA screening, reviews coming due, and the
 * disclosure log. Declared facts need only a signed-in user; the log is personal data and follows
 * the register's permissions (staff record, the roles that read people read it).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import { screenPolicy } from '../policy/dpia-screening.js';
import { ART28_TERMS } from '../policy/schema.recipients.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { errorResponses } from '../server/schemas.js';
import { DISCLOSURE_REASONS, NOTE_MAX, disclosureSummary, isRoutine, recordDisclosure, subjectDisclosures, type DisclosureView } from './disclosures.service.js';
import { reviewsDue } from './reviews.service.js';

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes').max(64);
const dayText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use the form YYYY-MM-DD');

const disclosureResponse = z.object({
  id: z.string(),
  subjectId: z.string(),
  recipient: z.string(),
  recipientName: z.string(),
  categories: z.array(z.string()),
  reason: z.string(),
  disclosedAt: z.string(),
  note: z.string().nullable(),
  origin: z.enum(['manual', 'automatic']),
  recordedBy: z.string(),
  undeclared: z.boolean(),
});
const presentDisclosure = (d: DisclosureView): z.infer<typeof disclosureResponse> => ({
  id: d.id,
  subjectId: d.subjectId,
  recipient: d.recipient,
  recipientName: d.recipientName,
  categories: d.categories,
  reason: d.reason,
  disclosedAt: d.disclosedAt,
  note: d.note,
  origin: d.origin,
  recordedBy: d.recordedBy,
  undeclared: d.undeclared,
});

const reviewResponse = z.object({ item: z.string(), kind: z.string(), title: z.string(), dueOn: z.string(), daysLeft: z.number(), overdue: z.boolean() });

const processorResponse = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  isCategory: z.boolean(),
  countries: z.array(z.string()),
  categories: z.array(z.string()),
  disclosure: z.enum(['routine', 'occasional']),
  agreement: z.object({ link: z.string().nullable(), signed: z.string().nullable(), review: z.string().nullable() }).nullable(),
  terms: z.array(z.object({ term: z.string(), covered: z.boolean() })),
  subProcessors: z.array(z.object({ name: z.string(), service: z.string().nullable(), countries: z.array(z.string()), safeguard: z.string().nullable() })),
  assurance: z.object({ kind: z.string(), name: z.string().nullable(), date: z.string(), reference: z.string().nullable() }).nullable(),
  safeguard: z.string().nullable(),
  transferAssessment: z.object({ date: z.string(), outcome: z.string(), reference: z.string() }).nullable(),
});

const assessmentsResponse = z.object({
  assessments: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      title: z.string(),
      purposes: z.array(z.string()),
      recipients: z.array(z.string()),
      transfers: z.array(z.string()),
      date: z.string(),
      outcome: z.string(),
      residualRisk: z.string().nullable(),
      owner: z.string().nullable(),
      nextReview: z.string().nullable(),
      link: z.string().nullable(),
    }),
  ),
  screening: z.array(
    z.object({
      purpose: z.string(),
      purposeName: z.string(),
      verdict: z.enum(['required', 'advisable', 'not-indicated']),
      hits: z.array(z.object({ criterion: z.string(), weight: z.enum(['mandatory', 'indicator']), reason: z.string(), from: z.enum(['derived', 'declared']) })),
      recorded: z.object({ link: z.string().optional(), assessment: z.string().optional() }).nullable(),
    }),
  ),
});

export const accountabilityRoutes =
  (deps: AppContext): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['accountability'];
    const today = (): string => deps.clock.now().toISOString().slice(0, 10);

    app.get(
      `${API_PREFIX}/accountability/recipients`,
      { schema: { summary: 'The processors and other recipients: contracts, the Art 28(3) terms each covers, sub-processors, assurance and transfer tests', tags, security: bearerSecurity, response: { 200: z.object({ recipients: z.array(processorResponse) }), ...errorResponses } } },
      async (req) => {
        req.actor;
        return {
          recipients: deps.policy.policy.recipients.map((r) => {
            const covered = new Set(r.agreement?.terms ?? []);
            const link = r.agreement?.link ?? r.contract ?? null;
            return {
              id: r.id,
              name: r.name,
              kind: r.kind,
              isCategory: r.is_category,
              countries: r.countries ?? [],
              categories: r.categories ?? [],
              disclosure: isRoutine(r) ? ('routine' as const) : ('occasional' as const),
              agreement: r.agreement || r.contract || r.review_date ? { link, signed: r.agreement?.signed ?? null, review: r.agreement?.review ?? r.review_date ?? null } : null,
              terms: r.kind === 'processor' ? ART28_TERMS.map((term) => ({ term, covered: covered.has(term) })) : [],
              subProcessors: (r.sub_processors ?? []).map((s) => ({ name: s.name, service: s.service ?? null, countries: s.countries ?? [], safeguard: s.safeguard ?? null })),
              assurance: r.assurance ? { kind: r.assurance.kind, name: r.assurance.name ?? null, date: r.assurance.date, reference: r.assurance.reference ?? null } : null,
              safeguard: r.safeguard ?? null,
              transferAssessment: r.transfer_assessment ?? null,
            };
          }),
        };
      },
    );

    app.get(
      `${API_PREFIX}/accountability/assessments`,
      { schema: { summary: 'Declared assessments (DPIA, LIA, transfer) and the DPIA screening of every purpose', tags, security: bearerSecurity, response: { 200: assessmentsResponse, ...errorResponses } } },
      async (req) => {
        req.actor;
        const policy = deps.policy.policy;
        return {
          assessments: policy.assessments.map((a) => ({
            id: a.id,
            kind: a.kind,
            title: a.title,
            purposes: a.purposes ?? [],
            recipients: a.recipients ?? [],
            transfers: a.transfers ?? [],
            date: a.date,
            outcome: a.outcome,
            residualRisk: a.residual_risk ?? null,
            owner: a.owner ?? null,
            nextReview: a.next_review ?? null,
            link: a.link ?? null,
          })),
          screening: screenPolicy(policy).map((s) => ({ ...s, purposeName: policy.purposes.find((p) => p.id === s.purpose)?.name ?? s.purpose, recorded: s.recorded ?? null })),
        };
      },
    );

    app.get(
      `${API_PREFIX}/accountability/reviews`,
      {
        schema: {
          summary: 'Contracts and assessments with a review date, soonest first; `within` days limits the list (past ones always shown)',
          tags,
          security: bearerSecurity,
          querystring: z.object({ within: z.coerce.number().int().min(0).max(36600).optional() }),
          response: { 200: z.object({ reviews: z.array(reviewResponse) }), ...errorResponses },
        },
      },
      async (req) => {
        req.actor;
        return { reviews: reviewsDue(deps.policy.policy, today(), req.query.within) };
      },
    );

    app.post(
      `${API_PREFIX}/disclosures`,
      {
        schema: {
          summary: 'Record a disclosure of a person\'s data to a recipient (the note is encrypted under the person\'s key)',
          tags,
          security: bearerSecurity,
          body: z.object({
            subjectId: z.uuid(),
            recipient: idText,
            categories: z.array(idText).min(1).max(100),
            reason: z.enum(DISCLOSURE_REASONS),
            disclosedAt: z.string().min(10).max(40).optional(),
            note: z.string().min(1).max(NOTE_MAX).optional(),
          }),
          response: { 201: disclosureResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const d = await recordDisclosure(deps, req.actor, {
          subjectId: b.subjectId,
          recipient: b.recipient,
          categories: b.categories,
          reason: b.reason,
          disclosedAt: b.disclosedAt,
          note: b.note,
        });
        return reply.status(201).send(presentDisclosure(d));
      },
    );

    app.get(
      `${API_PREFIX}/subjects/:id/disclosures`,
      { schema: { summary: 'Who a person\'s data was disclosed to, newest first (audited)', tags, security: bearerSecurity, params: z.object({ id: z.uuid() }), response: { 200: z.object({ disclosures: z.array(disclosureResponse) }), ...errorResponses } } },
      async (req) => ({ disclosures: (await subjectDisclosures(deps, req.actor, req.params.id)).map(presentDisclosure) }),
    );

    app.get(
      `${API_PREFIX}/disclosures/summary`,
      {
        schema: {
          summary: 'Disclosures counted per recipient over a period: no person is named',
          tags,
          security: bearerSecurity,
          querystring: z.object({ from: dayText.optional(), to: dayText.optional(), recipient: idText.optional() }),
          response: {
            200: z.object({ recipients: z.array(z.object({ recipient: z.string(), recipientName: z.string(), disclosures: z.number(), people: z.number(), first: z.string(), last: z.string() })) }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const q = req.query;
        return { recipients: await disclosureSummary(deps, req.actor, { from: q.from, to: q.to, recipient: q.recipient }) };
      },
    );
  };
