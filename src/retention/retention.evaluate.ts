/**
 * What the plan, the run and the explanation share: the day they are for, and one page of
 * subjects decided. Each record is decided by the engine (retention.engine.ts); then state the
 * engine cannot see is applied to due ones: Art 18 restriction, legal holds, and `unless`
 * conditions answered by a RetentionConditions (consent lives in another feature).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { StewardError } from '../shared/errors.js';
import { eventConditions, type RetentionConditions } from './conditions.js';
import { addDurationClamped, maxDate, parseCalendarDate, toCalendarDate, type CalendarDate } from './duration.js';
import { holdsCovering } from './holds.service.js';
import { conditionsOf, describeVerdict, evaluateRecord, newMemo, type Condition, type EndAction, type RecordFacts, type RetentionModel, type SubjectFacts, type Verdict, type VerdictStatus } from './retention.engine.js';
import { type ReviewFact, type SubjectPage } from './retention.store.js';
import type { AppContext } from '../kernel/context.js';

/** Subjects per page of a plan. */
export const PAGE_SUBJECTS = 2000;

export interface RetentionOptions {
  /** Answers `unless` conditions; default: from retention's own life events (eventConditions). */
  conditions?: RetentionConditions;
  /** Subjects per page; tests use small pages to exercise paging. */
  pageSize?: number;
}

export interface PlanOptions extends RetentionOptions {
  /** The day to plan for (default today): `--as-of` lets a user see the future. */
  asOf?: Date | string;
  /** Another declaration: show what replacing the current one with it would change. */
  compare?: LoadedPolicy;
  /** How many records to list individually (due, held, kept); the rest are counted. */
  detail?: number;
  /** How many due reviews to list. */
  reviewLimit?: number;
  /** Months ahead for the schedule of upcoming ends (default 12). */
  horizonMonths?: number;
}

export function resolveAsOf(ctx: AppContext, asOf: Date | string | undefined): { day: CalendarDate; at: Date } {
  const now = ctx.clock.now();
  if (asOf === undefined) return { day: toCalendarDate(now), at: now };
  if (typeof asOf === 'string') {
    const day = parseCalendarDate(asOf.trim(), 'asOf');
    if (day < '1900-01-01' || day > '2199-12-31') throw new StewardError('VALIDATION_FAILED', `asOf: ${day} is outside 1900-01-01 to 2199-12-31`);
    // Conditions (consent) are asked about the end of that day, or now if it is today.
    return { day, at: day === toCalendarDate(now) ? now : new Date(`${day}T23:59:59.999Z`) };
  }
  if (Number.isNaN(asOf.getTime())) throw new StewardError('VALIDATION_FAILED', 'asOf: not a valid date');
  return { day: toCalendarDate(asOf), at: asOf };
}

export interface Evaluated {
  record: RecordFacts;
  verdict: Verdict;
}

const NO_RELATIONSHIPS: ReadonlySet<string> = new Set();

/** Decides every record of a page, then applies restriction, holds and conditions to due ones. */
export async function evaluatePage(
  db: Kysely<Tables>,
  model: RetentionModel,
  page: SubjectPage,
  day: CalendarDate,
  at: Date,
  holds: ReadonlyArray<Tables['legal_holds']>,
  conditions: RetentionConditions,
): Promise<Map<string, Evaluated[]>> {
  const out = new Map<string, Evaluated[]>();
  const needs = new Map<Condition, Set<string>>();
  for (const subject of page.subjects) {
    const memo = newMemo();
    const list: Evaluated[] = [];
    for (const record of page.records.get(subject.id) ?? []) {
      let v = evaluateRecord(model, subject, record, day, memo);
      if (v.status === 'due') {
        const covering = holds.length > 0 ? holdsCovering(holds, model, record, page.relationshipsOf.get(subject.id) ?? NO_RELATIONSHIPS) : [];
        if (subject.restricted) v = { ...v, status: 'restricted' };
        else if (covering.length > 0) v = { ...v, status: 'held', holds: covering };
        else for (const c of conditionsOf(model, v)) (needs.get(c) ?? needs.set(c, new Set()).get(c)!).add(subject.id);
      }
      list.push({ record, verdict: v });
    }
    out.set(subject.id, list);
  }
  if (needs.size > 0) {
    const holding = new Map<Condition, Set<string>>();
    for (const [c, ids] of needs) {
      const list = [...ids];
      if (c === 'marketing-consent') holding.set(c, await conditions.subjectsWithMarketingConsent(db, list, at));
      else if (c === 'open-contract') holding.set(c, await conditions.subjectsWithOpenContract(db, list, at));
    }
    for (const [subjectId, list] of out) {
      for (const e of list) {
        if (e.verdict.status !== 'due') continue;
        const keeping = conditionsOf(model, e.verdict).find((c) => holding.get(c)?.has(subjectId));
        if (keeping) e.verdict = { ...e.verdict, status: 'kept', condition: keeping };
      }
    }
  }
  return out;
}

export interface ReviewDue {
  subjectId: string;
  rule: string;
  dueOn: CalendarDate;
  records: number;
  lastReview: { decision: 'keep' | 'delete'; decidedOn: CalendarDate } | null;
}

/**
 * Periodic reviews of one subject: for each rule with review_every that holds some of its records,
 * the first review falls due review_every after the earliest of those records was collected; after
 * a review, on the date the reviewer set (keep) or review_every after it.
 */
export function reviewsOf(model: RetentionModel, subject: SubjectFacts, records: readonly RecordFacts[], decided: ReadonlyMap<string, ReviewFact> | undefined): ReviewDue[] {
  const first = new Map<string, { on: CalendarDate; count: number }>();
  for (const r of records) {
    const seen = new Set<string>();
    for (const pid of model.purposeIds(r.purposes)) {
      const rule = model.purposes.get(pid)?.rule;
      if (!rule?.reviewEvery || seen.has(rule.id)) continue;
      seen.add(rule.id);
      const f = first.get(rule.id);
      if (!f) first.set(rule.id, { on: r.collectedOn, count: 1 });
      else {
        f.count++;
        if (r.collectedOn < f.on) f.on = r.collectedOn;
      }
    }
  }
  const out: ReviewDue[] = [];
  for (const [ruleId, f] of first) {
    const every = model.rules.get(ruleId)!.reviewEvery!;
    const last = decided?.get(ruleId);
    const dueOn = last?.decision === 'keep' && last.nextReviewOn ? last.nextReviewOn : addDurationClamped(last ? maxDate(f.on, last.decidedOn) : f.on, every);
    out.push({ subjectId: subject.id, rule: ruleId, dueOn, records: f.count, lastReview: last ? { decision: last.decision, decidedOn: last.decidedOn } : null });
  }
  return out;
}

export interface PlanItem {
  recordId: string;
  subjectId: string;
  category: string;
  status: VerdictStatus;
  end: CalendarDate | null;
  action: EndAction | null;
  rule: string | null;
  purpose: string;
  reason: string;
}

export function planItem(subjectId: string, record: RecordFacts, v: Verdict): PlanItem {
  return {
    recordId: record.id,
    subjectId,
    category: record.category,
    status: v.status,
    end: v.end,
    action: v.action,
    rule: v.decided.rule,
    purpose: v.decided.purpose,
    reason: describeVerdict(v),
  };
}
