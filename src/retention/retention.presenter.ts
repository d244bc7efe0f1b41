/**
 * What leaves the server about retention: every field listed here, nothing else. Plans and
 * explanations carry ids, categories, rule names, dates and counts — never record contents.
 * A hold's reason is shown to those who may read holds (it should be a case reference).
 */
import { z } from 'zod';
import type { LifeEvent } from './events.service.js';
import type { Hold } from './holds.service.js';
import type { PurposeOutcome } from './retention.engine.js';
import type { PlanTotals, RetentionPlan } from './retention.plan.js';
import type { ReviewDue } from './retention.evaluate.js';
import type { RunResult } from './retention.run.js';
import type { SubjectExplanation } from './retention.explain.js';
import type { ReviewDecision } from './reviews.service.js';

const status = z.enum(['due', 'scheduled', 'waiting', 'review', 'undecided', 'held', 'kept', 'restricted']);
const action = z.enum(['delete', 'anonymise']);

export const eventResponse = z.object({
  id: z.string(),
  subjectId: z.string(),
  type: z.string(),
  date: z.string(),
  relationship: z.string().nullable(),
  recordedBy: z.string(),
  recordedAt: z.string(),
  origin: z.string(),
  /** active: retention acts on it; pending: waiting for a privacy officer (or for pendingUntil); rejected. */
  status: z.enum(['active', 'pending', 'rejected']),
  pendingUntil: z.string().nullable(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
});

export const presentEvent = (e: LifeEvent): z.infer<typeof eventResponse> => ({
  id: e.id,
  subjectId: e.subjectId,
  type: e.type,
  date: e.date,
  relationship: e.relationship,
  recordedBy: e.recordedBy,
  recordedAt: e.recordedAt,
  origin: e.origin,
  status: e.status,
  pendingUntil: e.pendingUntil,
  reviewedBy: e.reviewedBy,
  reviewedAt: e.reviewedAt,
});

export const holdResponse = z.object({
  id: z.string(),
  subjectId: z.string().nullable(),
  relationship: z.string().nullable(),
  category: z.string().nullable(),
  reason: z.string(),
  placedBy: z.string(),
  placedAt: z.string(),
  reviewOn: z.string(),
  expiresOn: z.string().nullable(),
  releasedAt: z.string().nullable(),
  releasedBy: z.string().nullable(),
});

export const presentHold = (h: Hold): z.infer<typeof holdResponse> => ({
  id: h.id,
  subjectId: h.subjectId,
  relationship: h.relationship,
  category: h.category,
  reason: h.reason,
  placedBy: h.placedBy,
  placedAt: h.placedAt,
  reviewOn: h.reviewOn,
  expiresOn: h.expiresOn,
  releasedAt: h.releasedAt,
  releasedBy: h.releasedBy,
});

export const reviewDueResponse = z.object({
  subjectId: z.string(),
  rule: z.string(),
  dueOn: z.string(),
  records: z.number(),
  lastReview: z.object({ decision: z.enum(['keep', 'delete']), decidedOn: z.string() }).nullable(),
});

const presentReviewDue = (r: ReviewDue): z.infer<typeof reviewDueResponse> => ({
  subjectId: r.subjectId,
  rule: r.rule,
  dueOn: r.dueOn,
  records: r.records,
  lastReview: r.lastReview ? { decision: r.lastReview.decision, decidedOn: r.lastReview.decidedOn } : null,
});

export const reviewsResponse = z.object({ asOf: z.string(), due: z.number(), reviews: z.array(reviewDueResponse) });

export const presentReviews = (r: { asOf: string; due: number; list: ReviewDue[] }): z.infer<typeof reviewsResponse> => ({
  asOf: r.asOf,
  due: r.due,
  reviews: r.list.map(presentReviewDue),
});

export const decisionResponse = z.object({
  id: z.string(),
  subjectId: z.string(),
  rule: z.string(),
  decision: z.enum(['keep', 'delete']),
  decidedBy: z.string(),
  decidedAt: z.string(),
  nextReviewOn: z.string().nullable(),
  deleted: z.number(),
  narrowed: z.number(),
  keyDestroyed: z.boolean(),
});

export const presentDecision = (d: ReviewDecision): z.infer<typeof decisionResponse> => ({
  id: d.id,
  subjectId: d.subjectId,
  rule: d.rule,
  decision: d.decision,
  decidedBy: d.decidedBy,
  decidedAt: d.decidedAt,
  nextReviewOn: d.nextReviewOn,
  deleted: d.deleted,
  narrowed: d.narrowed,
  keyDestroyed: d.keyDestroyed,
});

const totals = z.object({
  subjects: z.number(),
  records: z.number(),
  due: z.number(),
  delete: z.number(),
  anonymise: z.number(),
  subjectsErased: z.number(),
  scheduled: z.number(),
  waiting: z.number(),
  review: z.number(),
  undecided: z.number(),
  held: z.number(),
  kept: z.number(),
  restricted: z.number(),
});

const presentTotals = (t: PlanTotals): z.infer<typeof totals> => ({
  subjects: t.subjects,
  records: t.records,
  due: t.due,
  delete: t.delete,
  anonymise: t.anonymise,
  subjectsErased: t.subjectsErased,
  scheduled: t.scheduled,
  waiting: t.waiting,
  review: t.review,
  undecided: t.undecided,
  held: t.held,
  kept: t.kept,
  restricted: t.restricted,
});

const holdBrief = z.object({
  id: z.string(),
  subjectId: z.string().nullable(),
  relationship: z.string().nullable(),
  category: z.string().nullable(),
  reviewOn: z.string(),
  expiresOn: z.string().nullable(),
  holding: z.number(),
});

const verdictRef = z.object({ status, end: z.string().nullable(), rule: z.string().nullable() });

export const planResponse = z.object({
  asOf: z.string(),
  policy: z.object({ hash: z.string() }),
  totals,
  rules: z.array(
    z.object({
      rule: z.string().nullable(),
      description: z.string().nullable(),
      action: action.nullable(),
      due: z.number(),
      dueSubjects: z.number(),
      scheduled: z.number(),
      nextEnd: z.string().nullable(),
      waiting: z.array(z.object({ event: z.string(), records: z.number() })),
      review: z.number(),
      undecided: z.number(),
      held: z.number(),
      kept: z.number(),
      restricted: z.number(),
    }),
  ),
  horizon: z.string(),
  upcoming: z.array(z.object({ month: z.string(), rule: z.string(), action, records: z.number() })),
  reviews: z.object({ due: z.number(), upcoming: z.number(), list: z.array(reviewDueResponse) }),
  holds: z.object({ active: z.number(), dueForReview: z.array(holdBrief), lapsed: z.array(holdBrief) }),
  items: z.array(
    z.object({
      recordId: z.string(),
      subjectId: z.string(),
      category: z.string(),
      status,
      end: z.string().nullable(),
      action: action.nullable(),
      rule: z.string().nullable(),
      purpose: z.string(),
      reason: z.string(),
    }),
  ),
  itemsOmitted: z.number(),
  offPromise: z.object({
    records: z.number(),
    items: z.array(
      z.object({
        recordId: z.string(),
        subjectId: z.string(),
        category: z.string(),
        decidedBy: z.object({ purpose: z.string(), rule: z.string().nullable() }),
        promised: z.array(z.string()),
      }),
    ),
    itemsOmitted: z.number(),
  }),
  warnings: z.array(z.string()),
  pendingEvents: z.array(eventResponse),
  compare: z
    .object({
      hash: z.string(),
      totals,
      changes: z.array(z.object({ from: z.object({ status, rule: z.string().nullable() }), to: z.object({ status, rule: z.string().nullable() }), records: z.number() })),
      becomeDue: z.number(),
      noLongerDue: z.number(),
      endsEarlier: z.number(),
      endsLater: z.number(),
      items: z.array(z.object({ recordId: z.string(), subjectId: z.string(), category: z.string(), from: verdictRef, to: verdictRef })),
      itemsOmitted: z.number(),
      warnings: z.array(z.string()),
    })
    .optional(),
});

/** The plan as JSON. Server file paths stay on the server: the declaration is named by its hash. */
export function presentPlan(p: RetentionPlan): z.infer<typeof planResponse> {
  const brief = (h: RetentionPlan['holds']['dueForReview'][number]) => ({
    id: h.id,
    subjectId: h.subjectId,
    relationship: h.relationship,
    category: h.category,
    reviewOn: h.reviewOn,
    expiresOn: h.expiresOn,
    holding: h.holding,
  });
  return {
    asOf: p.asOf,
    policy: { hash: p.policy.hash },
    totals: presentTotals(p.totals),
    rules: p.rules.map((r) => ({
      rule: r.rule,
      description: r.description,
      action: r.action,
      due: r.due,
      dueSubjects: r.dueSubjects,
      scheduled: r.scheduled,
      nextEnd: r.nextEnd,
      waiting: r.waiting.map((w) => ({ event: w.event, records: w.records })),
      review: r.review,
      undecided: r.undecided,
      held: r.held,
      kept: r.kept,
      restricted: r.restricted,
    })),
    horizon: p.horizon,
    upcoming: p.upcoming.map((u) => ({ month: u.month, rule: u.rule, action: u.action, records: u.records })),
    reviews: { due: p.reviews.due, upcoming: p.reviews.upcoming, list: p.reviews.list.map(presentReviewDue) },
    holds: { active: p.holds.active, dueForReview: p.holds.dueForReview.map(brief), lapsed: p.holds.lapsed.map(brief) },
    items: p.items.map((i) => ({
      recordId: i.recordId,
      subjectId: i.subjectId,
      category: i.category,
      status: i.status,
      end: i.end,
      action: i.action,
      rule: i.rule,
      purpose: i.purpose,
      reason: i.reason,
    })),
    itemsOmitted: p.itemsOmitted,
    offPromise: {
      records: p.offPromise.records,
      items: p.offPromise.items.map((i) => ({ recordId: i.recordId, subjectId: i.subjectId, category: i.category, decidedBy: { ...i.decidedBy }, promised: [...i.promised] })),
      itemsOmitted: p.offPromise.itemsOmitted,
    },
    pendingEvents: p.pendingEvents.map(presentEvent),
    warnings: [...p.warnings],
    ...(p.compare
      ? {
          compare: {
            hash: p.compare.hash,
            totals: presentTotals(p.compare.totals),
            changes: p.compare.changes.map((c) => ({ from: { ...c.from }, to: { ...c.to }, records: c.records })),
            becomeDue: p.compare.becomeDue,
            noLongerDue: p.compare.noLongerDue,
            endsEarlier: p.compare.endsEarlier,
            endsLater: p.compare.endsLater,
            items: p.compare.items.map((i) => ({ recordId: i.recordId, subjectId: i.subjectId, category: i.category, from: { ...i.from }, to: { ...i.to } })),
            itemsOmitted: p.compare.itemsOmitted,
            warnings: [...p.compare.warnings],
          },
        }
      : {}),
  };
}

const outcome = z.object({
  kind: z.enum(['ends', 'waiting', 'review', 'undecided']),
  purpose: z.string(),
  rule: z.string().nullable(),
  end: z.string().optional(),
  action: action.optional(),
  from: z.object({ event: z.string(), on: z.string() }).optional(),
  event: z.string().optional(),
  why: z.string().optional(),
});

const presentOutcome = (o: PurposeOutcome): z.infer<typeof outcome> => {
  switch (o.kind) {
    case 'ends':
      return { kind: o.kind, purpose: o.purpose, rule: o.rule, end: o.end, action: o.action, from: { event: o.from.event, on: o.from.on } };
    case 'waiting':
      return { kind: o.kind, purpose: o.purpose, rule: o.rule, event: o.event };
    case 'review':
      return { kind: o.kind, purpose: o.purpose, rule: o.rule };
    case 'undecided':
      return { kind: o.kind, purpose: o.purpose, rule: o.rule, why: o.why, ...(o.since ? { from: { event: o.since.event, on: o.since.on } } : {}) };
  }
};

export const explanationResponse = z.object({
  subjectId: z.string(),
  asOf: z.string(),
  erasedAt: z.string().nullable(),
  restricted: z.boolean(),
  records: z.array(
    z.object({
      recordId: z.string(),
      category: z.string(),
      status,
      end: z.string().nullable(),
      action: action.nullable(),
      rule: z.string().nullable(),
      purpose: z.string(),
      reason: z.string(),
      purposes: z.array(outcome),
      holds: z.array(z.string()),
      condition: z.string().nullable(),
    }),
  ),
  reviews: z.array(reviewDueResponse),
});

export const presentExplanation = (e: SubjectExplanation): z.infer<typeof explanationResponse> => ({
  subjectId: e.subjectId,
  asOf: e.asOf,
  erasedAt: e.erasedAt,
  restricted: e.restricted,
  records: e.records.map((r) => ({
    recordId: r.recordId,
    category: r.category,
    status: r.status,
    end: r.end,
    action: r.action,
    rule: r.rule,
    purpose: r.purpose,
    reason: r.reason,
    purposes: r.purposes.map(presentOutcome),
    holds: [...r.holds],
    condition: r.condition,
  })),
  reviews: e.reviews.map(presentReviewDue),
});

export const runResponse = z.object({
  acquired: z.boolean(),
  complete: z.boolean(),
  asOf: z.string(),
  deleted: z.number(),
  anonymised: z.number(),
  statistics: z.number(),
  subjectsErased: z.number(),
  held: z.number(),
  kept: z.number(),
  restricted: z.number(),
  rules: z.array(z.object({ rule: z.string(), action, records: z.number(), subjects: z.number() })),
});

export const presentRun = (r: RunResult): z.infer<typeof runResponse> => ({
  acquired: r.acquired,
  complete: r.complete,
  asOf: r.asOf,
  deleted: r.deleted,
  anonymised: r.anonymised,
  statistics: r.statistics,
  subjectsErased: r.subjectsErased,
  held: r.held,
  kept: r.kept,
  restricted: r.restricted,
  rules: r.rules.map((x) => ({ rule: x.rule, action: x.action, records: x.records, subjects: x.subjects })),
});
