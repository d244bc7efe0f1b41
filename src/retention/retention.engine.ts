/**
 * The retention engine: from the declaration, a subject's life events and a record's purposes,
 * when the record's retention ends and what happens then. Pure functions, no database: the
 * service feeds it pages of facts and acts on its verdicts.
 *
 * The rules, in order:
 * 1. Each purpose a record is held for has its own end, from its rule:
 *    - duration + trigger: the trigger's day + the duration ("7 years after contract-ended");
 *    - until X (+ duration): the day X happens (+ the duration) ("for the duration of the contract");
 *    - a trigger that has not happened yet: no end yet, "waiting for X";
 *    - criteria only, or no rule at all: no automatic end, "needs a decision";
 *    - criteria with review_every: kept under periodic review (a person decides).
 * 2. The record's end is the LATEST of its purposes' ends (it is kept while any purpose still
 *    needs it); a purpose with no end keeps the record. The purpose that decided is recorded.
 *    On a tie, anonymise wins over delete: the purpose that wants statistics still gets them.
 * 3. Once due, a record is still kept while an `unless` condition of one of its purposes holds
 *    (marketing consent, an open contract), while a legal hold covers it, or while the subject's
 *    processing is restricted (Art 18: restricted data may only be stored).
 */
import { categoryFields } from '../register/fields.js';
import type { LoadedPolicy } from '../policy/policy.loader.js';
import type { DataCategory, RetentionRule } from '../policy/policy.schema.js';
import { TRIGGERS } from '../policy/schema.retention.js';
import { durationOf, endAfter, ZERO, type CalendarDate, type Duration } from './duration.js';

/** Triggers dated by the record itself (its collection), never by an event. */
export const RECORD_TRIGGERS: ReadonlySet<string> = new Set(['collection', 'recording-made']);

/**
 * An event that undoes an earlier one: a contract started after the last contract ended means a
 * contract is running again, so "for the duration of the contract" has not ended.
 */
export const REOPENED_BY: Readonly<Record<string, string>> = {
  'contract-ended': 'contract-started',
  'account-closed': 'account-opened',
  'service-ended': 'service-started',
  'device-returned': 'device-issued',
  'consent-withdrawn': 'consent-given',
};

export const EVENT_TYPES = [
  ...TRIGGERS.filter((t) => !RECORD_TRIGGERS.has(t)),
  ...new Set(Object.values(REOPENED_BY).filter((t) => !(TRIGGERS as readonly string[]).includes(t))),
] as readonly string[];

export type Condition = 'marketing-consent' | 'legal-hold' | 'open-contract';
export type EndAction = 'delete' | 'anonymise';

export interface CompiledRule {
  id: string;
  description: string | undefined;
  /** The event the period counts from (trigger) or ends at (until). */
  event: string | undefined;
  mode: 'after' | 'until' | 'none';
  duration: Duration | undefined;
  action: EndAction;
  statisticalFields: readonly string[];
  unless: readonly Condition[];
  reviewEvery: Duration | undefined;
  criteria: string | undefined;
}

export interface CompiledPurpose {
  id: string;
  relationships: ReadonlySet<string>;
  ruleId: string | undefined;
  rule: CompiledRule | undefined;
}

/** Metadata fields anonymisation can keep (besides data categories named in statistical_fields). */
export const STATISTICAL_METADATA = ['relationships', 'categories', 'sources', 'purposes', 'collected-year', 'ended-year'] as const;

export interface RetentionModel {
  policy: LoadedPolicy;
  rules: ReadonlyMap<string, CompiledRule>;
  purposes: ReadonlyMap<string, CompiledPurpose>;
  categories: ReadonlyMap<string, DataCategory>;
  /** Problems in the declaration the engine works around (shown in the plan). */
  warnings: readonly string[];
  /** Purpose ids of a record's stored purposes JSON, parsed once per distinct value. */
  purposeIds(json: string): readonly string[];
  /** Whether a record's end depends on the record itself (its collection day), not only on its subject. */
  recordDependent(json: string): boolean;
}

function compileRule(r: RetentionRule): CompiledRule {
  const mode = r.until ? 'until' : r.trigger ? 'after' : 'none';
  return {
    id: r.id,
    description: r.description,
    event: r.until ?? r.trigger,
    mode,
    duration: r.duration ? durationOf(r.duration) : undefined,
    action: r.action,
    statisticalFields: r.statistical_fields ?? [],
    unless: (r.unless ?? []) as Condition[],
    reviewEvery: r.review_every ? durationOf(r.review_every) : undefined,
    criteria: r.criteria,
  };
}

const models = new WeakMap<LoadedPolicy, RetentionModel>();

export function retentionModel(loaded: LoadedPolicy): RetentionModel {
  const cached = models.get(loaded);
  if (cached) return cached;
  const p = loaded.policy;
  const rules = new Map(p.retention.map((r) => [r.id, compileRule(r)]));
  const purposes = new Map<string, CompiledPurpose>(
    p.purposes.map((x) => [x.id, { id: x.id, relationships: new Set(x.relationships), ruleId: x.retention, rule: x.retention ? rules.get(x.retention) : undefined }]),
  );
  const categories = new Map(p.data_categories.map((c) => [c.id, c]));
  const warnings: string[] = [];
  for (const r of rules.values()) {
    if (r.mode === 'none' && r.duration) warnings.push(`rule ${r.id} gives a duration (${r.duration.text}) but no trigger or until: Steward cannot tell when it starts, so its records need a decision`);
    if (r.action === 'anonymise') {
      for (const f of r.statisticalFields) {
        const cat = categories.get(f);
        if (cat && categoryFields(cat).every((x) => x.identifier)) warnings.push(`rule ${r.id}: statistical field "${f}" is an identifier; anonymisation never keeps identifiers, so it is dropped`);
        else if (!cat && !(STATISTICAL_METADATA as readonly string[]).includes(f)) {
          warnings.push(`rule ${r.id}: statistical field "${f}" is neither a data category nor one of ${STATISTICAL_METADATA.join(', ')}; it is not kept`);
        }
      }
    }
  }
  const parsed = new Map<string, readonly string[]>();
  const dependent = new Map<string, boolean>();
  const model: RetentionModel = {
    policy: loaded,
    rules,
    purposes,
    categories,
    warnings,
    purposeIds(json) {
      let ids = parsed.get(json);
      if (!ids) {
        try {
          const v = JSON.parse(json) as unknown;
          ids = Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String((x as { purpose?: unknown })?.purpose ?? ''))).filter((s) => s !== '') : [];
        } catch {
          ids = [];
        }
        if (parsed.size < 100_000) parsed.set(json, ids);
      }
      return ids;
    },
    recordDependent(json) {
      let d = dependent.get(json);
      if (d === undefined) {
        d = model.purposeIds(json).some((p) => {
          const event = purposes.get(p)?.rule?.event;
          return event !== undefined && (RECORD_TRIGGERS.has(event) || event === 'last-contact');
        });
        if (dependent.size < 100_000) dependent.set(json, d);
      }
      return d;
    },
  };
  models.set(loaded, model);
  return model;
}

// ——— facts ———

export interface SubjectFacts {
  id: string;
  restricted: boolean;
  relationships: ReadonlyArray<{ relationship: string; endedOn: CalendarDate | null }>;
  events: ReadonlyArray<{ type: string; on: CalendarDate; relationship: string | null }>;
}

export interface RecordFacts {
  id: string;
  subjectId: string;
  category: string;
  /** The stored purposes JSON. */
  purposes: string;
  collectedOn: CalendarDate;
}

// ——— outcomes and verdicts ———

export type UndecidedWhy = 'criteria' | 'no-rule' | 'unknown-purpose' | 'unknown-rule' | 'no-trigger' | 'no-purpose';

export type PurposeOutcome =
  | { kind: 'ends'; purpose: string; rule: string; end: CalendarDate; action: EndAction; from: { event: string; on: CalendarDate }; duration: string | null }
  | { kind: 'waiting'; purpose: string; rule: string; event: string }
  | { kind: 'review'; purpose: string; rule: string }
  | { kind: 'undecided'; purpose: string; rule: string | null; why: UndecidedWhy; since?: { event: string; on: CalendarDate } };

export type Ends = Extract<PurposeOutcome, { kind: 'ends' }>;

export type VerdictStatus = 'due' | 'scheduled' | 'waiting' | 'review' | 'undecided' | 'held' | 'kept' | 'restricted';

export interface Verdict {
  status: VerdictStatus;
  /** The record's end (latest of its purposes) when every purpose has one. */
  end: CalendarDate | null;
  action: EndAction | null;
  /** The outcome that decided the status. */
  decided: PurposeOutcome;
  outcomes: readonly PurposeOutcome[];
  /** With status held: the holds that cover it. */
  holds?: readonly string[];
  /** With status kept: the condition that keeps it. */
  condition?: Condition;
}

/** Per-subject memo: trigger days, and verdicts of records whose end depends on the subject only. */
export interface SubjectMemo {
  days: Map<string, CalendarDate | null>;
  verdicts: Map<string, Verdict>;
}

export const newMemo = (): SubjectMemo => ({ days: new Map(), verdicts: new Map() });

/** The day an event happened for a purpose, or undefined if it has not (or was undone since). */
export function triggerDay(event: string, purpose: CompiledPurpose, subject: SubjectFacts, record: RecordFacts, memo: SubjectMemo): CalendarDate | undefined {
  if (RECORD_TRIGGERS.has(event)) return record.collectedOn;
  const key = `${event}\u0000${purpose.id}`;
  let day = memo.days.get(key);
  if (day === undefined) {
    day = null;
    const applies = (rel: string | null) => rel === null || purpose.relationships.has(rel);
    for (const e of subject.events) if (e.type === event && applies(e.relationship) && (day === null || e.on > day)) day = e.on;
    if (event === 'relationship-ended') {
      for (const r of subject.relationships) if (r.endedOn && purpose.relationships.has(r.relationship) && (day === null || r.endedOn > day)) day = r.endedOn;
    }
    const reopen = REOPENED_BY[event];
    if (day !== null && reopen) {
      const ended = day;
      if (subject.events.some((e) => e.type === reopen && applies(e.relationship) && e.on > ended)) day = null;
    }
    memo.days.set(key, day);
  }
  // "Last contact" without a logged contact: collecting the data was the last contact.
  if (day === null && event === 'last-contact') return record.collectedOn;
  return day ?? undefined;
}

export function purposeOutcome(model: RetentionModel, purposeId: string, subject: SubjectFacts, record: RecordFacts, memo: SubjectMemo): PurposeOutcome {
  const purpose = model.purposes.get(purposeId);
  if (!purpose) return { kind: 'undecided', purpose: purposeId, rule: null, why: 'unknown-purpose' };
  if (!purpose.ruleId) return { kind: 'undecided', purpose: purposeId, rule: null, why: 'no-rule' };
  const rule = purpose.rule;
  if (!rule) return { kind: 'undecided', purpose: purposeId, rule: purpose.ruleId, why: 'unknown-rule' };
  if (!rule.event) {
    if (rule.reviewEvery) return { kind: 'review', purpose: purposeId, rule: rule.id };
    return { kind: 'undecided', purpose: purposeId, rule: rule.id, why: rule.duration ? 'no-trigger' : 'criteria' };
  }
  const on = triggerDay(rule.event, purpose, subject, record, memo);
  if (on === undefined) return { kind: 'waiting', purpose: purposeId, rule: rule.id, event: rule.event };
  if (rule.mode === 'after' && !rule.duration) {
    // "Once the contract has ended, as long as someone could bring a claim": the event has
    // happened, the period after it is a matter of judgement.
    if (rule.reviewEvery) return { kind: 'review', purpose: purposeId, rule: rule.id };
    return { kind: 'undecided', purpose: purposeId, rule: rule.id, why: 'criteria', since: { event: rule.event, on } };
  }
  const end = endAfter(on, rule.duration ?? ZERO);
  return { kind: 'ends', purpose: purposeId, rule: rule.id, end, action: rule.action, from: { event: rule.event, on }, duration: rule.duration?.text ?? null };
}

const BLOCKER_ORDER: Record<PurposeOutcome['kind'], number> = { undecided: 0, review: 1, waiting: 2, ends: 3 };

/** The record's verdict before state that needs the database (conditions, holds, restriction). */
export function evaluateRecord(model: RetentionModel, subject: SubjectFacts, record: RecordFacts, asOf: CalendarDate, memo: SubjectMemo): Verdict {
  // Records of one subject held for the same purposes share a verdict unless their own collection day matters.
  if (model.recordDependent(record.purposes)) return decide(model, subject, record, asOf, memo);
  let v = memo.verdicts.get(record.purposes);
  if (!v) memo.verdicts.set(record.purposes, (v = decide(model, subject, record, asOf, memo)));
  return v;
}

function decide(model: RetentionModel, subject: SubjectFacts, record: RecordFacts, asOf: CalendarDate, memo: SubjectMemo): Verdict {
  const ids = model.purposeIds(record.purposes);
  if (ids.length === 0) {
    const o: PurposeOutcome = { kind: 'undecided', purpose: '', rule: null, why: 'no-purpose' };
    return { status: 'undecided', end: null, action: null, decided: o, outcomes: [o] };
  }
  const outcomes = ids.map((p) => purposeOutcome(model, p, subject, record, memo));
  let blocker: PurposeOutcome | undefined;
  let latest: Ends | undefined;
  for (const o of outcomes) {
    if (o.kind === 'ends') {
      if (!latest || o.end > latest.end || (o.end === latest.end && o.action === 'anonymise' && latest.action === 'delete')) latest = o;
    } else if (!blocker || BLOCKER_ORDER[o.kind] < BLOCKER_ORDER[blocker.kind]) {
      blocker = o;
    }
  }
  if (blocker) return { status: blocker.kind as VerdictStatus, end: null, action: null, decided: blocker, outcomes };
  const l = latest!;
  return { status: l.end <= asOf ? 'due' : 'scheduled', end: l.end, action: l.action, decided: l, outcomes };
}

/** The `unless` conditions of every purpose that keeps a due record (all of them have ended). */
export function conditionsOf(model: RetentionModel, v: Verdict): Condition[] {
  const out = new Set<Condition>();
  for (const o of v.outcomes) {
    const rule = o.rule ? model.rules.get(o.rule) : undefined;
    for (const c of rule?.unless ?? []) if (c !== 'legal-hold') out.add(c);
  }
  return [...out];
}

// ——— words ———

const UNDECIDED_WORDS: Record<UndecidedWhy, string> = {
  criteria: 'has criteria only, no automatic end',
  'no-rule': 'has no retention rule',
  'unknown-purpose': 'is no longer in the declaration',
  'unknown-rule': 'names a retention rule that is not declared',
  'no-trigger': 'gives a period but no trigger',
  'no-purpose': 'has no purpose',
};

export function describeOutcome(o: PurposeOutcome): string {
  switch (o.kind) {
    case 'ends':
      return `${o.purpose} (rule ${o.rule}): ${o.action === 'anonymise' ? 'anonymised' : 'deleted'} on ${o.end}, ${o.duration ? `${o.duration} after` : 'at'} ${o.from.event} on ${o.from.on}`;
    case 'waiting':
      return `${o.purpose} (rule ${o.rule}): waiting for ${o.event}`;
    case 'review':
      return `${o.purpose} (rule ${o.rule}): kept under periodic review`;
    case 'undecided':
      if (o.why === 'unknown-purpose' || o.why === 'no-purpose' || o.why === 'no-rule') return `${o.purpose || 'record'}: the purpose ${UNDECIDED_WORDS[o.why]}`;
      return `${o.purpose} (rule ${o.rule}): the rule ${UNDECIDED_WORDS[o.why]}${o.since ? ` (${o.since.event} on ${o.since.on})` : ''}`;
  }
}

/** Why a record has its status, in one sentence: the deciding rule, and the others it beat. */
export function describeVerdict(v: Verdict): string {
  const others = v.outcomes.length > 1 ? `; the latest of ${v.outcomes.length} purposes (${v.outcomes.filter((o) => o !== v.decided).map(describeOutcome).join('; ')})` : '';
  const d = describeOutcome(v.decided);
  switch (v.status) {
    case 'due':
      return `due: ${d}${others}`;
    case 'scheduled':
      return `kept until ${v.end}: ${d}${others}`;
    case 'waiting':
      return `kept: ${d}`;
    case 'review':
      return `kept: ${d}`;
    case 'undecided':
      return `needs a decision: ${d}`;
    case 'held':
      return `held by legal hold ${v.holds?.join(', ')}: would be due since ${v.end} (${d})`;
    case 'kept':
      return `kept: ${v.condition} (would be due since ${v.end}: ${d})`;
    case 'restricted':
      return `kept: processing is restricted (Art 18) (would be due since ${v.end}: ${d})`;
  }
}
