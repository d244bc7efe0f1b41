/**
 * Retention over HTTP: life events, legal holds, the plan, periodic reviews, and one subject's
 * retention explained. Each handler: authenticate, validate (schemas here), call the domain
 * (which authorises, works in a transaction and audits), present.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bearerSecurity } from '../auth/auth.http.js';
import type { AppContext } from '../kernel/context.js';
import { API_PREFIX } from '../server/api.js';
import { recordJobRun } from '../kernel/scheduler.js';
import { errorResponses } from '../server/schemas.js';
import type { RetentionConditions } from './conditions.js';
import { addLifeEvent, EVENT_TYPES, listLifeEvents, pendingLifeEvents, removeLifeEvent, reviewLifeEvent } from './events.service.js';
import { HOLD_REASON_MAX, listHolds, placeHold, releaseHold } from './holds.service.js';
import {
  decisionResponse,
  eventResponse,
  explanationResponse,
  holdResponse,
  planResponse,
  presentDecision,
  presentEvent,
  presentExplanation,
  presentHold,
  presentPlan,
  presentReviews,
  presentRun,
  reviewsResponse,
  runResponse,
} from './retention.presenter.js';
import { explainSubject } from './retention.explain.js';
import { planRetention } from './retention.plan.js';
import { runRetention } from './retention.run.js';
import { decideReview, listReviewsDue, REVIEW_REASON_MAX } from './reviews.service.js';

const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes').max(64);
/** Dates are checked by the domain (real day, range); the schema only bounds the size. */
const dateText = z.string().min(1).max(40);
const asOfQuery = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use the form YYYY-MM-DD').optional();

export interface RetentionRouteOptions {
  /** Answers `unless` conditions (marketing consent, open contracts); default from life events. */
  conditions?: RetentionConditions;
}

export const retentionRoutes =
  (deps: AppContext, opts: RetentionRouteOptions = {}): FastifyPluginAsync =>
  async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['retention'];

    app.post(
      `${API_PREFIX}/events`,
      {
        schema: {
          summary: 'Record a life event that starts or ends a retention period (contract ended, account closed …); back-dating allowed',
          tags,
          security: bearerSecurity,
          body: z.object({ subjectId: z.uuid(), type: z.enum(EVENT_TYPES as [string, ...string[]]), date: dateText, relationship: idText.optional() }),
          response: { 201: eventResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = req.actor;
        const { subjectId, type, date, relationship } = req.body;
        const e = await addLifeEvent(deps, actor, { subjectId, type, date, relationship, origin: 'api' });
        return reply.status(201).send(presentEvent(e));
      },
    );

    app.get(
      `${API_PREFIX}/events`,
      {
        schema: {
          summary: 'A subject’s life events, oldest first',
          tags,
          security: bearerSecurity,
          querystring: z.object({ subject: z.uuid() }),
          response: { 200: z.object({ events: z.array(eventResponse) }), ...errorResponses },
        },
      },
      async (req) => ({ events: (await listLifeEvents(deps, req.actor, req.query.subject)).map(presentEvent) }),
    );

    app.get(
      `${API_PREFIX}/events/pending`,
      {
        schema: {
          summary: 'Life events waiting for a privacy officer (recorded by staff: back-dated ones need approval, recent ones wait some days), oldest first',
          tags,
          security: bearerSecurity,
          response: { 200: z.object({ events: z.array(eventResponse) }), ...errorResponses },
        },
      },
      async (req) => ({ events: (await pendingLifeEvents(deps, req.actor)).map(presentEvent) }),
    );

    for (const decision of ['approve', 'reject'] as const) {
      app.post(
        `${API_PREFIX}/events/:id/${decision}`,
        {
          schema: {
            summary: decision === 'approve' ? 'Approve a pending life event: retention acts on it from now (privacy officer, owner)' : 'Reject a pending life event: retention never acts on it (privacy officer, owner)',
            tags,
            security: bearerSecurity,
            params: z.object({ id: z.uuid() }),
            response: { 200: eventResponse, ...errorResponses },
          },
        },
        async (req) => presentEvent(await reviewLifeEvent(deps, req.actor, req.params.id, decision)),
      );
    }

    app.delete(
      `${API_PREFIX}/events/:id`,
      {
        schema: {
          summary: 'Withdraw an event recorded by mistake (privacy officer, owner)',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (req, reply) => {
        await removeLifeEvent(deps, req.actor, req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      `${API_PREFIX}/holds`,
      {
        schema: {
          summary: 'Place a legal hold on a subject, a relationship or a category (or a combination): held data is never deleted or anonymised',
          tags,
          security: bearerSecurity,
          body: z.object({
            subjectId: z.uuid().optional(),
            relationship: idText.optional(),
            category: idText.optional(),
            reason: z.string().min(1).max(HOLD_REASON_MAX),
            reviewOn: dateText,
            expiresOn: dateText.optional(),
          }),
          response: { 201: holdResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const hold = await placeHold(deps, req.actor, {
          reason: b.reason,
          reviewOn: b.reviewOn,
          subjectId: b.subjectId,
          relationship: b.relationship,
          category: b.category,
          expiresOn: b.expiresOn,
        });
        return reply.status(201).send(presentHold(hold));
      },
    );

    app.get(
      `${API_PREFIX}/holds`,
      {
        schema: {
          summary: 'Legal holds not yet released (all=true: every hold ever placed)',
          tags,
          security: bearerSecurity,
          querystring: z.object({ all: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ holds: z.array(holdResponse) }), ...errorResponses },
        },
      },
      async (req) => ({ holds: (await listHolds(deps, req.actor, { all: req.query.all === 'true' })).map(presentHold) }),
    );

    app.delete(
      `${API_PREFIX}/holds/:id`,
      {
        schema: {
          summary: 'Release a legal hold: due retention runs on the data at the next run',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ reason: z.string().max(HOLD_REASON_MAX).optional() }),
          response: { 200: holdResponse, ...errorResponses },
        },
      },
      async (req) => presentHold(await releaseHold(deps, req.actor, req.params.id, req.query.reason)),
    );

    app.get(
      `${API_PREFIX}/retention/plan`,
      {
        schema: {
          summary: 'What retention will delete, anonymise or put up for review, when and under which rule (changes nothing)',
          tags,
          security: bearerSecurity,
          querystring: z.object({
            asOf: asOfQuery,
            detail: z.coerce.number().int().min(0).max(1000).default(50),
            reviews: z.coerce.number().int().min(0).max(1000).default(100),
          }),
          response: { 200: planResponse, ...errorResponses },
        },
      },
      async (req) => {
        const plan = await planRetention(deps, req.actor, {
          conditions: opts.conditions,
          asOf: req.query.asOf,
          detail: req.query.detail,
          reviewLimit: req.query.reviews,
        });
        return presentPlan(plan);
      },
    );

    app.post(
      `${API_PREFIX}/retention/run`,
      {
        schema: {
          summary:
            'Run retention now: delete and anonymise what is due today (privacy officer, owner). Idempotent; when another instance holds the retention lock, acquired is false and nothing was done',
          tags,
          security: bearerSecurity,
          response: { 200: runResponse, ...errorResponses },
        },
      },
      async (req) => {
        const r = await runRetention(deps, req.actor, undefined, { conditions: opts.conditions });
        if (r.acquired) await recordJobRun(deps.database.db, 'retention', deps.clock.now(), `deleted ${r.deleted}, anonymised ${r.anonymised} (run now)`);
        return presentRun(r);
      },
    );

    app.get(
      `${API_PREFIX}/retention/subjects/:id`,
      {
        schema: {
          summary: 'One subject’s records: each one’s end, the rule that decided, and every purpose’s own end',
          tags,
          security: bearerSecurity,
          params: z.object({ id: z.uuid() }),
          querystring: z.object({ asOf: asOfQuery }),
          response: { 200: explanationResponse, ...errorResponses },
        },
      },
      async (req) => presentExplanation(await explainSubject(deps, req.actor, req.params.id, { conditions: opts.conditions, asOf: req.query.asOf })),
    );

    app.get(
      `${API_PREFIX}/retention/reviews`,
      {
        schema: {
          summary: 'Subjects due for a periodic review (rules with review_every), oldest first',
          tags,
          security: bearerSecurity,
          querystring: z.object({ asOf: asOfQuery, limit: z.coerce.number().int().min(1).max(1000).default(100) }),
          response: { 200: reviewsResponse, ...errorResponses },
        },
      },
      async (req) => presentReviews(await listReviewsDue(deps, req.actor, { asOf: req.query.asOf, limit: req.query.limit })),
    );

    app.post(
      `${API_PREFIX}/retention/reviews`,
      {
        schema: {
          summary: 'Decide a periodic review: keep (with a reason and the next review date) or delete what the rule governs',
          tags,
          security: bearerSecurity,
          body: z.object({
            subjectId: z.uuid(),
            rule: idText,
            decision: z.enum(['keep', 'delete']),
            reason: z.string().min(1).max(REVIEW_REASON_MAX),
            nextReviewOn: dateText.optional(),
          }),
          response: { 201: decisionResponse, ...errorResponses },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const d = await decideReview(deps, req.actor, {
          subjectId: b.subjectId,
          rule: b.rule,
          decision: b.decision,
          reason: b.reason,
          nextReviewOn: b.nextReviewOn,
        });
        return reply.status(201).send(presentDecision(d));
      },
    );
  };
