/**
 * The retention plan: what will be deleted, anonymised or reviewed, when, and under which rule,
 * for every record in the register, a page of subjects at a time; nothing changes. It can also
 * show what replacing the declaration with another would change.
 */
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { eventConditions } from './conditions.js';
import { addDurationClamped, durationOf, type CalendarDate } from './duration.js';
import { pendingLifeEvents, type LifeEvent } from './events.service.js';
import { holdActive, unreleasedHolds } from './holds.service.js';
import { retentionModel, type EndAction, type PurposeOutcome, type RecordFacts, type RetentionModel, type Verdict, type VerdictStatus } from './retention.engine.js';
import { loadSubjectPage } from './retention.store.js';
import { OffPromiseTally, type OffPromiseRecord } from '../promises/promises.purposes.js';
import type { AppContext } from '../kernel/context.js';
import { evaluatePage, PAGE_SUBJECTS, planItem, resolveAsOf, reviewsOf, type Evaluated, type PlanItem, type PlanOptions, type ReviewDue } from './retention.evaluate.js';

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
