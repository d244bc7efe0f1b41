/**
 * Retention, end to end: the plan (what will be deleted, anonymised or reviewed, when, under which
 * rule — nothing changes), the run (does it, under a database job lock, idempotently), and the
 * explanation of one subject's records.
 *
 * Both walk the register a page of subjects at a time (retention.store.ts), decide each record
 * with the engine (retention.engine.ts), then apply state the engine cannot see: Art 18
 * restriction, legal holds, and `unless` conditions answered by a RetentionConditions (consent
 * lives in another feature). The run acts set-based per page: one DELETE per few thousand ids.
 */
import { eventInEffect } from './events.effect.js';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { notFound, StewardError } from '../shared/errors.js';
import { eventConditions, type RetentionConditions } from './conditions.js';
import { addDurationClamped, durationOf, maxDate, parseCalendarDate, parseDuration, toCalendarDate, ZERO, type CalendarDate, type Duration } from './duration.js';
import { pendingLifeEvents, type LifeEvent } from './events.service.js';
import { holdActive, holdsCovering, unreleasedHolds } from './holds.service.js';
import { afterErasure } from '../backup/erasure-ledger.js';
import { writeStatistics, type AnonymiseGroup } from './retention.statistics.js';
import { deleteRecordRows, eraseSubjects, subjectState, subjectsHoldingPurposes, subjectsWithRelationshipEndedBy } from '../register/register.repository.js';
import {
  conditionsOf,
  describeVerdict,
  evaluateRecord,
  newMemo,
  RECORD_TRIGGERS,
  retentionModel,
  type Condition,
  type EndAction,
  type PurposeOutcome,
  type RecordFacts,
  type RetentionModel,
  type SubjectFacts,
  type Verdict,
  type VerdictStatus,
} from './retention.engine.js';
import { loadSubjectPage, type ReviewFact, type SubjectPage } from './retention.store.js';
import { OffPromiseTally, type OffPromiseRecord } from '../promises/promises.purposes.js';
import type { AppContext } from '../kernel/context.js';

/** The database job lock: several `steward serve` instances sharing PostgreSQL run retention once. */
export const RETENTION_LOCK = 'steward-retention';
/** Subjects per page of a plan. */
export const PAGE_SUBJECTS = 2000;
/**
 * Subjects per transaction of a run (candidates only, so most are due). Larger transactions mean
 * fewer commits and WAL checkpoints; smaller ones block other writers for less time.
 */
export const RUN_SUBJECTS = 5000;

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

// ——— shared ———

function resolveAsOf(ctx: AppContext, asOf: Date | string | undefined): { day: CalendarDate; at: Date } {
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

interface Evaluated {
  record: RecordFacts;
  verdict: Verdict;
}

const NO_RELATIONSHIPS: ReadonlySet<string> = new Set();

/** Decides every record of a page, then applies restriction, holds and conditions to due ones. */
async function evaluatePage(
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

// ——— the plan ———

export interface PlanTotals {
  subjects: number;
  records: number;
  due: number;
  delete: number;
  anonymise: number;
  /** Subjects all of whose records are due: their key would be destroyed. */
  subjectsErased: number;
  scheduled: number;
  waiting: number;
  review: number;
  undecided: number;
  held: number;
  kept: number;
  restricted: number;
}

export interface RulePlan {
  /** The deciding rule; null where no rule applies (purpose without a rule, or no longer declared). */
  rule: string | null;
  description: string | null;
  action: EndAction | null;
  due: number;
  dueSubjects: number;
  scheduled: number;
  nextEnd: CalendarDate | null;
  waiting: Array<{ event: string; records: number }>;
  review: number;
  undecided: number;
  held: number;
  kept: number;
  restricted: number;
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

export interface HoldBrief {
  id: string;
  subjectId: string | null;
  relationship: string | null;
  category: string | null;
  reviewOn: CalendarDate;
  expiresOn: CalendarDate | null;
  /** Records it is keeping from deletion today. */
  holding: number;
}

export interface PlanComparison {
  file: string;
  hash: string;
  totals: PlanTotals;
  /** Records whose status, deciding rule or end would change, grouped. */
  changes: Array<{ from: { status: VerdictStatus; rule: string | null }; to: { status: VerdictStatus; rule: string | null }; records: number }>;
  becomeDue: number;
  noLongerDue: number;
  endsEarlier: number;
  endsLater: number;
  items: Array<{ recordId: string; subjectId: string; category: string; from: { status: VerdictStatus; end: CalendarDate | null; rule: string | null }; to: { status: VerdictStatus; end: CalendarDate | null; rule: string | null } }>;
  itemsOmitted: number;
  warnings: string[];
}

export interface RetentionPlan {
  asOf: CalendarDate;
  policy: { file: string; hash: string };
  totals: PlanTotals;
  rules: RulePlan[];
  horizon: CalendarDate;
  upcoming: Array<{ month: string; rule: string; action: EndAction; records: number }>;
  reviews: { due: number; upcoming: number; list: ReviewDue[] };
  holds: { active: number; dueForReview: HoldBrief[]; lapsed: HoldBrief[] };
  items: PlanItem[];
  itemsOmitted: number;
  /** Records whose retention a purpose other than their relationship's promise decides (promises.purposes.ts). */
  offPromise: { records: number; items: OffPromiseRecord[]; itemsOmitted: number };
  warnings: string[];
  compare?: PlanComparison;
  /**
   * Life events recorded by someone who may not erase, not yet in effect on the plan's day: the
   * plan leaves them out; a privacy officer approves or rejects them (oldest first, up to 1000).
   */
  pendingEvents: LifeEvent[];
}

interface RuleAcc extends Omit<RulePlan, 'dueSubjects' | 'waiting'> {
  subjects: Set<string>;
  waitingBy: Map<string, number>;
}

const zeroTotals = (): PlanTotals => ({ subjects: 0, records: 0, due: 0, delete: 0, anonymise: 0, subjectsErased: 0, scheduled: 0, waiting: 0, review: 0, undecided: 0, held: 0, kept: 0, restricted: 0 });

class Tally {
  readonly totals = zeroTotals();
  readonly rules = new Map<string, RuleAcc>();
  readonly upcoming = new Map<string, number>();
  readonly holding = new Map<string, number>();
  readonly items: PlanItem[] = [];
  itemsOmitted = 0;

  constructor(
    private readonly model: RetentionModel,
    private readonly horizon: CalendarDate,
    private readonly detail: number,
  ) {}

  private rule(id: string | null): RuleAcc {
    const key = id ?? '';
    let acc = this.rules.get(key);
    if (!acc) {
      const r = id ? this.model.rules.get(id) : undefined;
      acc = {
        rule: id,
        description: r?.description ?? null,
        action: r?.event ? r.action : null,
        due: 0,
        subjects: new Set(),
        scheduled: 0,
        nextEnd: null,
        waitingBy: new Map(),
        review: 0,
        undecided: 0,
        held: 0,
        kept: 0,
        restricted: 0,
      };
      this.rules.set(key, acc);
    }
    return acc;
  }

  subject(subjectId: string, list: readonly Evaluated[]): void {
    this.totals.subjects++;
    if (list.length > 0 && list.every((e) => e.verdict.status === 'due')) this.totals.subjectsErased++;
    for (const e of list) this.add(subjectId, e);
  }

  private add(subjectId: string, { record, verdict: v }: Evaluated): void {
    this.totals.records++;
    const acc = this.rule(v.decided.rule);
    switch (v.status) {
      case 'due':
        this.totals.due++;
        this.totals[v.action!]++;
        acc.due++;
        acc.subjects.add(subjectId);
        break;
      case 'scheduled':
        this.totals.scheduled++;
        acc.scheduled++;
        if (acc.nextEnd === null || v.end! < acc.nextEnd) acc.nextEnd = v.end;
        if (v.end! <= this.horizon) {
          const key = `${v.end!.slice(0, 7)}\u0000${v.decided.rule}\u0000${v.action}`;
          this.upcoming.set(key, (this.upcoming.get(key) ?? 0) + 1);
        }
        break;
      case 'waiting': {
        this.totals.waiting++;
        const event = (v.decided as Extract<PurposeOutcome, { kind: 'waiting' }>).event;
        acc.waitingBy.set(event, (acc.waitingBy.get(event) ?? 0) + 1);
        break;
      }
      default:
        this.totals[v.status]++;
        acc[v.status]++;
        if (v.status === 'held') for (const h of v.holds ?? []) this.holding.set(h, (this.holding.get(h) ?? 0) + 1);
    }
    if (v.status === 'due' || v.status === 'held' || v.status === 'kept' || v.status === 'restricted') {
      if (this.items.length < this.detail) this.items.push(planItem(subjectId, record, v));
      else this.itemsOmitted++;
    }
  }

  rulePlans(): RulePlan[] {
    return [...this.rules.values()]
      .map(({ subjects, waitingBy, ...r }) => ({ ...r, dueSubjects: subjects.size, waiting: [...waitingBy].map(([event, records]) => ({ event, records })) }))
      .sort((a, b) => (a.rule ?? '\uffff').localeCompare(b.rule ?? '\uffff'));
  }

  upcomingList(): RetentionPlan['upcoming'] {
    return [...this.upcoming]
      .map(([k, records]) => {
        const [month, rule, action] = k.split('\u0000') as [string, string, EndAction];
        return { month, rule, action, records };
      })
      .sort((a, b) => a.month.localeCompare(b.month) || a.rule.localeCompare(b.rule));
  }
}

function planItem(subjectId: string, record: RecordFacts, v: Verdict): PlanItem {
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

class Comparison {
  readonly changes = new Map<string, number>();
  becomeDue = 0;
  noLongerDue = 0;
  endsEarlier = 0;
  endsLater = 0;
  readonly items: PlanComparison['items'] = [];
  itemsOmitted = 0;

  constructor(private readonly detail: number) {}

  add(subjectId: string, record: RecordFacts, a: Verdict, b: Verdict): void {
    if (a.status === b.status && a.decided.rule === b.decided.rule && a.end === b.end && a.action === b.action) return;
    const key = `${a.status}\u0000${a.decided.rule ?? ''}\u0000${b.status}\u0000${b.decided.rule ?? ''}`;
    this.changes.set(key, (this.changes.get(key) ?? 0) + 1);
    if (a.status !== 'due' && b.status === 'due') this.becomeDue++;
    if (a.status === 'due' && b.status !== 'due') this.noLongerDue++;
    if (a.end && b.end && b.end < a.end) this.endsEarlier++;
    if (a.end && b.end && b.end > a.end) this.endsLater++;
    if (this.items.length < this.detail) {
      this.items.push({
        recordId: record.id,
        subjectId,
        category: record.category,
        from: { status: a.status, end: a.end, rule: a.decided.rule },
        to: { status: b.status, end: b.end, rule: b.decided.rule },
      });
    } else this.itemsOmitted++;
  }

  changeList(): PlanComparison['changes'] {
    return [...this.changes]
      .map(([k, records]) => {
        const [s1, r1, s2, r2] = k.split('\u0000') as [VerdictStatus, string, VerdictStatus, string];
        return { from: { status: s1, rule: r1 || null }, to: { status: s2, rule: r2 || null }, records };
      })
      .sort((x, y) => y.records - x.records);
  }
}

const holdBrief = (h: Tables['legal_holds'], holding: number): HoldBrief => ({
  id: h.id,
  subjectId: h.subject_id,
  relationship: h.relationship,
  category: h.category,
  reviewOn: h.review_on,
  expiresOn: h.expires_on,
  holding,
});

/**
 * What retention would do on a day, without changing anything: counts per rule of records due,
 * scheduled, waiting for an event, kept by a condition, held, or needing a decision; the upcoming
 * ends by month; reviews due; holds to review; the due records themselves (up to `detail`), each
 * with the rule that decided and why. With `compare`, the same under another declaration.
 */
export async function planRetention(ctx: AppContext, actor: Actor, opts: PlanOptions = {}): Promise<RetentionPlan> {
  authorise(actor, 'retention:read');
  const { day, at } = resolveAsOf(ctx, opts.asOf);
  const model = retentionModel(ctx.policy);
  const other = opts.compare ? retentionModel(opts.compare) : undefined;
  const conditions = opts.conditions ?? eventConditions;
  const detail = Math.max(0, Math.min(opts.detail ?? 50, 10_000));
  const reviewLimit = Math.max(0, Math.min(opts.reviewLimit ?? 100, 10_000));
  const horizon = addDurationClamped(day, durationOf(`${Math.max(1, Math.min(opts.horizonMonths ?? 12, 120))} months`));
  const db = ctx.database.db;
  const allHolds = await unreleasedHolds(db);
  const holds = allHolds.filter((h) => holdActive(h, day));
  const tally = new Tally(model, horizon, detail);
  const offPromise = new OffPromiseTally(model, detail);
  const otherTally = other ? new Tally(other, horizon, 0) : undefined;
  const comparison = other ? new Comparison(detail) : undefined;
  const reviews: ReviewDue[] = [];
  let reviewsDue = 0;
  let reviewsUpcoming = 0;
  let after: string | undefined;
  for (;;) {
    const page = await loadSubjectPage(db, { ...(after !== undefined ? { after } : {}), limit: opts.pageSize ?? PAGE_SUBJECTS, asOf: day });
    if (!page) break;
    after = page.last;
    const evaluated = await evaluatePage(db, model, page, day, at, holds, conditions);
    const evaluatedOther = other ? await evaluatePage(db, other, page, day, at, holds, conditions) : undefined;
    for (const subject of page.subjects) {
      const list = evaluated.get(subject.id)!;
      tally.subject(subject.id, list);
      for (const e of list) offPromise.add(subject, e.record, e.verdict);
      if (evaluatedOther) {
        const list2 = evaluatedOther.get(subject.id)!;
        otherTally!.subject(subject.id, list2);
        list.forEach((e, i) => comparison!.add(subject.id, e.record, e.verdict, list2[i]!.verdict));
      }
      for (const r of reviewsOf(model, subject, page.records.get(subject.id) ?? [], page.reviews.get(subject.id))) {
        if (r.dueOn <= day) {
          reviewsDue++;
          if (reviews.length < reviewLimit) reviews.push(r);
        } else if (r.dueOn <= horizon) reviewsUpcoming++;
      }
    }
  }
  reviews.sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.subjectId.localeCompare(b.subjectId));
  const pendingEvents = await pendingLifeEvents(ctx, actor, { asOf: day });
  return {
    pendingEvents,
    asOf: day,
    policy: { file: ctx.policy.file, hash: ctx.policy.hash },
    totals: tally.totals,
    rules: tally.rulePlans(),
    horizon,
    upcoming: tally.upcomingList(),
    reviews: { due: reviewsDue, upcoming: reviewsUpcoming, list: reviews },
    holds: {
      active: holds.length,
      dueForReview: holds.filter((h) => h.review_on <= day).map((h) => holdBrief(h, tally.holding.get(h.id) ?? 0)),
      lapsed: allHolds.filter((h) => !holdActive(h, day)).map((h) => holdBrief(h, 0)),
    },
    items: tally.items,
    itemsOmitted: tally.itemsOmitted,
    offPromise: { records: offPromise.records, items: offPromise.items, itemsOmitted: offPromise.itemsOmitted },
    warnings: [...model.warnings],
    ...(other && comparison && otherTally
      ? {
          compare: {
            file: other.policy.file,
            hash: other.policy.hash,
            totals: otherTally.totals,
            changes: comparison.changeList(),
            becomeDue: comparison.becomeDue,
            noLongerDue: comparison.noLongerDue,
            endsEarlier: comparison.endsEarlier,
            endsLater: comparison.endsLater,
            items: comparison.items,
            itemsOmitted: comparison.itemsOmitted,
            warnings: [...other.warnings],
          },
        }
      : {}),
  };
}

// ——— one subject ———

export interface RecordExplanation extends Omit<PlanItem, 'subjectId'> {
  purposes: PurposeOutcome[];
  holds: string[];
  condition: Condition | null;
}

export interface SubjectExplanation {
  subjectId: string;
  asOf: CalendarDate;
  erasedAt: string | null;
  restricted: boolean;
  records: RecordExplanation[];
  reviews: ReviewDue[];
}

/** Every record of one subject with its end, the rule that decided, and each purpose's own end. */
export async function explainSubject(ctx: AppContext, actor: Actor, subjectId: string, opts: Omit<PlanOptions, 'compare' | 'detail'> = {}): Promise<SubjectExplanation> {
  authorise(actor, 'retention:read');
  const { day, at } = resolveAsOf(ctx, opts.asOf);
  const db = ctx.database.db;
  const row = await subjectState(db, subjectId);
  if (!row) throw notFound('subject', subjectId);
  if (row.erasedAt) return { subjectId, asOf: day, erasedAt: row.erasedAt, restricted: row.restricted, records: [], reviews: [] };
  const model = retentionModel(ctx.policy);
  const page = await loadSubjectPage(db, { only: subjectId, limit: 1, asOf: day });
  if (!page) throw notFound('subject', subjectId);
  const holds = (await unreleasedHolds(db)).filter((h) => holdActive(h, day));
  const evaluated = (await evaluatePage(db, model, page, day, at, holds, opts.conditions ?? eventConditions)).get(subjectId) ?? [];
  const subject = page.subjects[0]!;
  return {
    subjectId,
    asOf: day,
    erasedAt: null,
    restricted: subject.restricted,
    records: [...evaluated].sort((a, b) => (a.record.id < b.record.id ? -1 : 1)).map(({ record, verdict }) => {
      const { subjectId: _s, ...item } = planItem(subjectId, record, verdict);
      return { ...item, purposes: [...verdict.outcomes], holds: [...(verdict.holds ?? [])], condition: verdict.condition ?? null };
    }),
    reviews: reviewsOf(model, subject, page.records.get(subjectId) ?? [], page.reviews.get(subjectId)),
  };
}

/** Subjects due for a periodic review on a day (review_every rules), oldest first. */
export async function listReviewsDue(ctx: AppContext, actor: Actor, opts: { asOf?: Date | string; limit?: number; pageSize?: number } = {}): Promise<{ asOf: CalendarDate; due: number; list: ReviewDue[] }> {
  authorise(actor, 'retention:read');
  const { day } = resolveAsOf(ctx, opts.asOf);
  const model = retentionModel(ctx.policy);
  const limit = Math.max(1, Math.min(opts.limit ?? 100, 10_000));
  const all: ReviewDue[] = [];
  let due = 0;
  const reviewed = [...model.purposes.values()].filter((p) => p.rule?.reviewEvery).map((p) => p.id);
  if (reviewed.length > 0) {
    // Only subjects holding a record for a reviewed purpose are read.
    const candidates = (await subjectsHoldingPurposes(ctx.database.db, reviewed)).sort();
    const size = opts.pageSize ?? PAGE_SUBJECTS;
    for (let i = 0; i < candidates.length; i += size) {
      const page = await loadSubjectPage(ctx.database.db, { ids: candidates.slice(i, i + size), limit: size, asOf: day });
      if (!page) continue;
      for (const s of page.subjects) {
        for (const r of reviewsOf(model, s, page.records.get(s.id) ?? [], page.reviews.get(s.id))) {
          if (r.dueOn > day) continue;
          due++;
          all.push(r);
        }
      }
      // Keep memory bounded: only the oldest `limit` are listed.
      if (all.length > limit * 4) {
        all.sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.subjectId.localeCompare(b.subjectId));
        all.length = limit;
      }
    }
  }
  all.sort((a, b) => a.dueOn.localeCompare(b.dueOn) || a.subjectId.localeCompare(b.subjectId));
  return { asOf: day, due, list: all.slice(0, limit) };
}

// ——— the run ———

/** Month-end clamping can make an end up to 3 days later than plain subtraction suggests. */
const CLAMP_SLACK = parseDuration('4 days');

/**
 * The subjects a run must read: only those that can have a record due on `day`. A record is due
 * only when every purpose's rule has ended, so at least one rule's event must be old enough:
 * a life event of that type on or before day − duration (plus slack for month ends), an ended
 * relationship as old, or — for rules counting from the record itself (collection, recording,
 * last contact) — a record held for such a purpose and collected as long ago. Everyone else is
 * still waiting, and a run need not read their records. The result is a superset: each
 * candidate is decided in full inside the run's transaction.
 */
export async function candidateSubjects(db: Kysely<Tables>, model: RetentionModel, day: CalendarDate): Promise<string[]> {
  const boundOf = (d: Duration | undefined) => addDurationClamped(addDurationClamped(day, d ?? ZERO, -1), CLAMP_SLACK);
  const eventBounds = new Map<string, CalendarDate>();
  const recordBounds = new Map<string, CalendarDate>();
  for (const p of model.purposes.values()) {
    const r = p.rule;
    if (!r?.event || (r.mode === 'after' && !r.duration)) continue;
    const bound = boundOf(r.duration);
    if (RECORD_TRIGGERS.has(r.event) || r.event === 'last-contact') recordBounds.set(p.id, maxDate(recordBounds.get(p.id) ?? bound, bound));
    if (!RECORD_TRIGGERS.has(r.event)) eventBounds.set(r.event, maxDate(eventBounds.get(r.event) ?? bound, bound));
  }
  const ids = new Set<string>();
  if (eventBounds.size > 0) {
    const rows = await db
      .selectFrom('life_events')
      .select('subject_id')
      .distinct()
      .where((eb) => eb.or([...eventBounds].map(([type, bound]) => eb.and([eb('type', '=', type), eb('occurred_on', '<=', bound)]))))
      .where(eventInEffect(day))
      .execute();
    for (const r of rows) ids.add(r.subject_id);
  }
  const ended = eventBounds.get('relationship-ended');
  if (ended) {
    for (const id of await subjectsWithRelationshipEndedBy(db, `${ended}T23:59:59.999Z`)) ids.add(id);
  }
  for (const [purpose, bound] of recordBounds) {
    for (const id of await subjectsHoldingPurposes(db, [purpose], { collectedBy: `${bound}T23:59:59.999Z` })) ids.add(id);
  }
  return [...ids].sort();
}

export interface RunRuleResult {
  rule: string;
  action: EndAction;
  records: number;
  subjects: number;
}

export interface RunResult {
  /** False when another instance held the retention lock, so this one did nothing. */
  acquired: boolean;
  /** Whether every subject was looked at (false if another instance took over half-way). */
  complete: boolean;
  asOf: CalendarDate;
  deleted: number;
  anonymised: number;
  /** Rows of anonymous statistics written. */
  statistics: number;
  subjectsErased: number;
  held: number;
  kept: number;
  restricted: number;
  rules: RunRuleResult[];
  /** Transactions used (one per page of subjects, plus the closing summary). */
  slices: number;
}

/**
 * Deletes and anonymises every record due on `asOf` (default today; never a future day). It reads
 * only the subjects that can have something due (candidateSubjects), a page at a time; each page
 * is one transaction that holds the retention job lock and the write lock, so
 * concurrent runs (several servers on one PostgreSQL) never act twice on a record, a crash never
 * leaves half a page done, and writers are blocked for one page at a time only. Running it again
 * finds nothing more to do: it is idempotent. Every deletion is audited per rule (counts only)
 * and per subject (counts, whether the key was destroyed), in the same transaction.
 */
export async function runRetention(ctx: AppContext, actor: Actor, asOf?: Date | string, opts: RetentionOptions = {}): Promise<RunResult> {
  authorise(actor, 'retention:manage');
  const { day, at } = resolveAsOf(ctx, asOf);
  const today = toCalendarDate(ctx.clock.now());
  if (day > today) {
    throw new StewardError('VALIDATION_FAILED', `asOf: ${day} is in the future; a run deletes data, so it acts on today (${today}) or earlier — use the plan to see the future`);
  }
  const model = retentionModel(ctx.policy);
  const conditions = opts.conditions ?? eventConditions;
  const { adapter, db } = ctx.database;
  const result: RunResult = { acquired: false, complete: false, asOf: day, deleted: 0, anonymised: 0, statistics: 0, subjectsErased: 0, held: 0, kept: 0, restricted: 0, rules: [], slices: 0 };
  const byRule = new Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string> }>();
  const candidates = await candidateSubjects(db, model, day);
  const size = opts.pageSize ?? RUN_SUBJECTS;
  for (let i = 0; ; i += size) {
    const chunk = candidates.slice(i, i + size);
    const slice = await adapter.withJobLock(db, RETENTION_LOCK, async (raw) => {
      const trx = raw as Kysely<Tables>;
      await adapter.lockForWrite(trx);
      const page = chunk.length > 0 ? await loadSubjectPage(trx, { ids: chunk, limit: chunk.length, asOf: day }) : undefined;
      if (chunk.length === 0) {
        await appendAudit(trx, ctx, actor, [
          {
            action: 'retention.run',
            details: {
              asOf: day,
              policy: ctx.policy.hash.slice(0, 16),
              deleted: result.deleted,
              anonymised: result.anonymised,
              subjectsErased: result.subjectsErased,
              held: result.held,
              kept: result.kept,
              restricted: result.restricted,
            },
          },
        ]);
        return { done: true };
      }
      if (page) {
        const holds = (await unreleasedHolds(trx)).filter((h) => holdActive(h, day));
        const evaluated = await evaluatePage(trx, model, page, day, at, holds, conditions);
        await actOnPage(trx, ctx, actor, model, page, evaluated, day, result, byRule);
      }
      return { done: false };
    });
    if (!slice.acquired) break;
    result.acquired = true;
    result.slices++;
    if (slice.value.done) {
      result.complete = true;
      break;
    }
  }
  result.rules = [...byRule.values()].map((r) => ({ rule: r.rule, action: r.action, records: r.records, subjects: r.subjects.size })).sort((a, b) => a.rule.localeCompare(b.rule));
  if (result.deleted + result.anonymised + result.subjectsErased > 0) await afterErasure(ctx);
  return result;
}

async function actOnPage(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  model: RetentionModel,
  page: SubjectPage,
  evaluated: Map<string, Evaluated[]>,
  day: CalendarDate,
  result: RunResult,
  byRule: Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string> }>,
): Promise<void> {
  const deletes: string[] = [];
  const groups = new Map<string, AnonymiseGroup>();
  const perRule = new Map<string, { rule: string; action: EndAction; records: number; subjects: Set<string>; categories: Record<string, number> }>();
  const perSubject = new Map<string, { deleted: number; anonymised: number; rules: Set<string> }>();
  for (const [subjectId, list] of evaluated) {
    for (const { record, verdict: v } of list) {
      if (v.status === 'held') result.held++;
      else if (v.status === 'kept') result.kept++;
      else if (v.status === 'restricted') result.restricted++;
      if (v.status !== 'due') continue;
      const rule = v.decided.rule!;
      const action = v.action!;
      if (action === 'delete') deletes.push(record.id);
      else {
        const key = `${subjectId}\u0000${rule}`;
        const g = groups.get(key) ?? { subjectId, rule, end: v.end!, records: [] };
        g.records.push(record);
        groups.set(key, g);
      }
      const rk = `${action}\u0000${rule}`;
      const r = perRule.get(rk) ?? { rule, action, records: 0, subjects: new Set<string>(), categories: {} };
      r.records++;
      r.subjects.add(subjectId);
      r.categories[record.category] = (r.categories[record.category] ?? 0) + 1;
      perRule.set(rk, r);
      const s = perSubject.get(subjectId) ?? { deleted: 0, anonymised: 0, rules: new Set<string>() };
      if (action === 'delete') s.deleted++;
      else s.anonymised++;
      s.rules.add(rule);
      perSubject.set(subjectId, s);
    }
  }
  if (perSubject.size === 0) return;
  const anonymised = [...groups.values()].flatMap((g) => g.records.map((r) => r.id));
  const statistics = await writeStatistics(trx, ctx, model, [...groups.values()], page.relationshipsOf, day);
  const now = ctx.clock.now().toISOString();
  await deleteRecordRows(trx, [...deletes, ...anonymised], { now, reason: 'retention' });
  // Every record of the page's subjects was read inside this write-locked transaction: a subject
  // whose records were all due has none left now.
  const erased = new Set([...perSubject.keys()].filter((id) => evaluated.get(id)!.every((e) => e.verdict.status === 'due')));
  await eraseSubjects(trx, [...erased], now, 'retention');
  const events: AuditEvent[] = [];
  for (const r of perRule.values()) {
    events.push({ action: r.action === 'delete' ? 'retention.delete' : 'retention.anonymise', details: { rule: r.rule, asOf: day, records: r.records, subjects: r.subjects.size, categories: r.categories } });
  }
  for (const [subjectId, s] of perSubject) {
    events.push({ action: 'retention.subject', subjectId, details: { asOf: day, deleted: s.deleted, anonymised: s.anonymised, rules: [...s.rules].sort(), keyDestroyed: erased.has(subjectId) } });
  }
  await appendAudit(trx, ctx, actor, events);
  result.deleted += deletes.length;
  result.anonymised += anonymised.length;
  result.statistics += statistics;
  result.subjectsErased += erased.size;
  for (const r of perRule.values()) {
    const k = `${r.action}\u0000${r.rule}`;
    const acc = byRule.get(k) ?? { rule: r.rule, action: r.action, records: 0, subjects: new Set<string>() };
    acc.records += r.records;
    for (const s of r.subjects) acc.subjects.add(s);
    byRule.set(k, acc);
  }
}
