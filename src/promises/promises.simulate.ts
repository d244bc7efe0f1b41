/**
 * Promises that hold: for each relationship and data category, a made-up person is walked through
 * the life events the declaration names (an enquiry, a contract ending, consent given and
 * withdrawn …) and the real retention engine says when the category goes, under which purpose and
 * rule. Beside it: what the notice tells that relationship, purpose by purpose, and whether each
 * promise holds. The engine is the one the register runs (retention.engine.ts), so the simulation
 * and what Steward really does cannot drift apart.
 *
 * Which purposes a record is held for ("the path"): the relationship's `default_purposes` that use
 * the category, when it declares some; otherwise every purpose that uses the category for that
 * relationship, which is what the notice tells the person ("we use it for: …").
 *
 * A promise is the retention a purpose's rule states for a relationship's category. One with a fixed
 * end ("3 months after your enquiry, then deleted") holds when a record on the path ends on that
 * day; it is defeated when another purpose on the path keeps the record longer (the latest end
 * wins), keeps it with no end (criteria only, a periodic review) or waits for an event.
 */
import type { LoadedPolicy } from '../policy/policy.loader.js';
import { retentionText } from '../policy/notice.wording.js';
import type { Policy, Purpose } from '../policy/policy.schema.js';
import { addDuration, durationOf, type CalendarDate } from '../retention/duration.js';
import {
  conditionsOf,
  describeOutcome,
  evaluateRecord,
  newMemo,
  purposeOutcome,
  RECORD_TRIGGERS,
  retentionModel,
  type Condition,
  type PurposeOutcome,
  type RecordFacts,
  type RetentionModel,
  type SubjectFacts,
  type Verdict,
} from '../retention/retention.engine.js';

/** The simulated person's first contact: any fixed day works, every end is reported relative to its event. */
export const SIMULATION_START: CalendarDate = '2026-01-01';
/** A day after every end, so that every end the engine computes has passed. */
const AS_OF: CalendarDate = '9999-12-30';

/** The order events happen in a person's life with the organisation, one month apart. */
const LIFE_ORDER = [
  'enquiry',
  'consent-given',
  'contract-started',
  'account-opened',
  'service-started',
  'device-issued',
  'recording-made',
  'last-contact',
  'recruitment-concluded',
  'handed-to-client',
  'device-returned',
  'service-ended',
  'contract-ended',
  'account-closed',
  'relationship-ended',
  'consent-withdrawn',
] as const;

const CONSENT_EVENTS: ReadonlySet<string> = new Set(['consent-given', 'consent-withdrawn']);

export type ScenarioId = 'no-consent' | 'consent-given' | 'consent-withdrawn';

export interface LifeEvent {
  event: string;
  on: CalendarDate;
}

/** What happens to the category on one walk. */
export interface SimulatedOutcome {
  scenario: ScenarioId;
  /** deleted / anonymised: on a day; review: a person reviews it periodically; undecided: a person decides; waiting: for an event that never came; kept: due, but an `unless` condition keeps it. */
  status: 'deleted' | 'anonymised' | 'review' | 'undecided' | 'waiting' | 'kept';
  on: CalendarDate | null;
  /** "3 months after enquiry", "at contract-ended". */
  when: string | null;
  purpose: string;
  rule: string | null;
  condition: Condition | null;
  /** The engine's own sentence for the record's verdict. */
  explanation: string;
}

export interface DefeatingPurpose {
  purpose: string;
  rule: string | null;
  /** The engine's words for this purpose's outcome on the walk. */
  outcome: string;
}

/** What the notice tells the relationship about the category for one purpose, and whether it holds. */
export interface NoticePromise {
  purpose: string;
  purposeName: string;
  rule: string | null;
  /** The notice's words ("How long we keep it"). */
  notice: string;
  /** fixed: a day the data goes; review: a periodic review; open: no fixed end (criteria only, no rule). */
  kind: 'fixed' | 'review' | 'open';
  /** For fixed promises: the day the notice says the data goes on the walk, and how. */
  promisedOn: CalendarDate | null;
  action: 'delete' | 'anonymise' | null;
  /** Whether records of the relationship are held for this purpose without anyone naming it. */
  onPath: boolean;
  /** fixed and review promises: true when the path delivers it (or, off the path, for records collected for it); null for open ones. */
  holds: boolean | null;
  /** The purposes on the path that keep the data past the promise. */
  defeatedBy: DefeatingPurpose[];
}

export interface CategoryPath {
  category: string;
  categoryName: string;
  /** Every purpose using the category for this relationship. */
  purposes: string[];
  /** The purposes a record is held for when none is named. */
  heldFor: string[];
  heldBy: 'default-purposes' | 'every-purpose';
  outcomes: SimulatedOutcome[];
  promises: NoticePromise[];
}

export interface RelationshipPaths {
  relationship: string;
  name: string;
  role: 'controller' | 'processor';
  defaultPurposes: string[] | null;
  /** The walk: collection, then each event the relationship's rules count from, a month apart. */
  life: LifeEvent[];
  scenarios: ScenarioId[];
  categories: CategoryPath[];
}

export interface PromisesReport {
  organisation: string;
  start: CalendarDate;
  relationships: RelationshipPaths[];
  /** Promises defeated on their path, across every relationship. */
  defeated: number;
  promises: number;
}

// ——— declaration lookups ———

/** Purposes using a category for a relationship, in declaration order (categories never stored have none). */
export function purposesFor(policy: Policy, relationship: string, category: string): Purpose[] {
  const cat = policy.data_categories.find((c) => c.id === category);
  if (!cat || cat.storage === 'never') return [];
  return policy.purposes.filter((p) => p.relationships.includes(relationship) && p.categories.includes(category));
}

/** The relationship's declared default purposes that use the category, or undefined when it declares none that do. */
export function defaultPurposesFor(policy: Policy, relationship: string, category: string): string[] | undefined {
  const rel = policy.relationships.find((r) => r.id === relationship);
  if (!rel?.default_purposes?.length) return undefined;
  const usable = new Set(purposesFor(policy, relationship, category).map((p) => p.id));
  const out = rel.default_purposes.filter((p) => usable.has(p));
  return out.length > 0 ? out : undefined;
}

const models = new WeakMap<Policy, RetentionModel>();
/** The engine's compiled model of a declaration (lint rules see the policy only, not the loaded file). */
export function modelOf(policy: Policy, loaded?: LoadedPolicy): RetentionModel {
  if (loaded) return retentionModel(loaded);
  let m = models.get(policy);
  if (!m) models.set(policy, (m = retentionModel({ policy, file: '', hash: '', locate: () => undefined })));
  return m;
}

/**
 * What a purpose's rule means for retention, in a form two purposes can be compared by: purposes
 * with the same signature always give a record the same end.
 */
export function retentionSignature(model: RetentionModel, purposeId: string): string {
  const p = model.purposes.get(purposeId);
  const r = p?.rule;
  if (!r) return `none:${p?.ruleId ?? ''}`;
  const d = (x: { years: number; months: number; days: number } | undefined) => (x ? `${x.years}y${x.months}m${x.days}d` : '-');
  // Rules a person decides (criteria only, or "after the contract, as long as needed") have no
  // automatic end, whatever their criteria: Steward asks for a decision either way. The action is
  // left out: on the same day the engine anonymises rather than deletes, so a purpose wanting
  // statistics still gets them, and the data goes either way.
  if (!r.reviewEvery && (r.mode === 'none' || (r.mode === 'after' && !r.duration))) return 'judged';
  return [r.mode, r.event ?? '-', d(r.duration), [...r.unless].sort().join('+'), d(r.reviewEvery)].join('|');
}

/** The engine's outcome for a purpose, in words a notice reader would use: "3 months after enquiry". */
export function outcomeWords(model: RetentionModel, purposeId: string): string {
  const r = model.purposes.get(purposeId)?.rule;
  if (!r) return 'kept with no retention rule';
  if (r.mode === 'none') return r.reviewEvery ? `reviewed every ${r.reviewEvery.text}` : 'kept as long as needed (a person decides)';
  if (r.mode === 'after' && !r.duration) return `kept after ${r.event} as long as needed (a person decides)`;
  const when = r.mode === 'until' ? (r.duration ? `${r.duration.text} after ${r.event}` : `at ${r.event}`) : `${r.duration!.text} after ${r.event}`;
  return `${r.action === 'anonymise' ? 'anonymised' : 'deleted'} ${when}${r.unless.length ? ` unless ${r.unless.join(' or ')}` : ''}`;
}

// ——— the walk ———

function lifeOf(model: RetentionModel, policy: Policy, relationship: string): { life: LifeEvent[]; scenarios: ScenarioId[] } {
  const events = new Set<string>();
  let consentMatters = false;
  for (const p of policy.purposes) {
    if (!p.relationships.includes(relationship)) continue;
    const rule = model.purposes.get(p.id)?.rule;
    if (!rule) continue;
    if (rule.event && !RECORD_TRIGGERS.has(rule.event)) events.add(rule.event);
    if (rule.unless.includes('marketing-consent')) consentMatters = true;
  }
  if (events.has('consent-given') || events.has('consent-withdrawn')) consentMatters = true;
  if (consentMatters) {
    events.add('consent-given');
    events.add('consent-withdrawn');
  }
  const ordered = [...events].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const life = [{ event: 'collection', on: SIMULATION_START }, ...ordered.map((event, i) => ({ event, on: addDuration(SIMULATION_START, { years: 0, months: i + 1, days: 0, text: '' }) }))];
  const scenarios: ScenarioId[] = ['no-consent'];
  if (consentMatters) scenarios.push('consent-given', 'consent-withdrawn');
  return { life, scenarios };
}

const rank = (event: string): number => {
  const i = (LIFE_ORDER as readonly string[]).indexOf(event);
  return i < 0 ? LIFE_ORDER.length : i;
};

/** The events that happen on a walk: consent events only where the scenario has them. */
function eventsOf(life: readonly LifeEvent[], scenario: ScenarioId): LifeEvent[] {
  return life.filter((e) => {
    if (RECORD_TRIGGERS.has(e.event)) return false;
    if (e.event === 'consent-given') return scenario !== 'no-consent';
    if (e.event === 'consent-withdrawn') return scenario === 'consent-withdrawn';
    return true;
  });
}

interface Walk {
  scenario: ScenarioId;
  subject: SubjectFacts;
  /** Conditions that hold on this walk (marketing consent while given and not withdrawn). */
  conditions: ReadonlySet<Condition>;
}

function walks(relationship: string, life: readonly LifeEvent[], scenarios: readonly ScenarioId[]): Walk[] {
  return scenarios.map((scenario) => {
    const events = eventsOf(life, scenario);
    const ended = events.find((e) => e.event === 'relationship-ended')?.on ?? null;
    return {
      scenario,
      subject: {
        id: `simulated-${relationship}`,
        restricted: false,
        relationships: [{ relationship, endedOn: ended }],
        events: events.map((e) => ({ type: e.event, on: e.on, relationship })),
      },
      conditions: new Set<Condition>(scenario === 'consent-given' ? ['marketing-consent'] : []),
    };
  });
}

const recordOf = (relationship: string, category: string, purposes: readonly string[]): RecordFacts => ({
  id: `simulated-${relationship}-${category}`,
  subjectId: `simulated-${relationship}`,
  category,
  purposes: JSON.stringify(purposes),
  collectedOn: SIMULATION_START,
});

function toOutcome(model: RetentionModel, walk: Walk, v: Verdict): SimulatedOutcome {
  const d = v.decided;
  const base = { scenario: walk.scenario, purpose: d.purpose, rule: d.rule, condition: null, explanation: '' };
  if (v.status === 'due') {
    const ends = d as Extract<PurposeOutcome, { kind: 'ends' }>;
    const when = ends.duration ? `${ends.duration} after ${ends.from.event}` : `at ${ends.from.event}`;
    const keeping = conditionsOf(model, v).find((c) => walk.conditions.has(c));
    if (keeping) return { ...base, status: 'kept', on: v.end, when, condition: keeping, explanation: `kept while ${keeping} holds (would be due on ${v.end}: ${describeOutcome(d)})` };
    return { ...base, status: v.action === 'anonymise' ? 'anonymised' : 'deleted', on: v.end, when, explanation: describeOutcome(d) };
  }
  const status = v.status === 'review' ? 'review' : v.status === 'waiting' ? 'waiting' : 'undecided';
  return { ...base, status, on: null, when: null, explanation: describeOutcome(d) };
}

/** The walk a promise is checked on: the first where its rule's event happens (consent events need consent). */
function walkFor(model: RetentionModel, purposeId: string, all: readonly Walk[]): Walk {
  const event = model.purposes.get(purposeId)?.rule?.event;
  if (event && CONSENT_EVENTS.has(event)) return all.find((w) => w.subject.events.some((e) => e.type === event)) ?? all[0]!;
  return all[0]!;
}

function promiseOf(model: RetentionModel, policy: Policy, relationship: string, category: string, p: Purpose, held: readonly string[], all: readonly Walk[]): NoticePromise {
  const rule = p.retention ? policy.retention.find((r) => r.id === p.retention) : undefined;
  const walk = walkFor(model, p.id, all);
  const own = purposeOutcome(model, p.id, walk.subject, recordOf(relationship, category, [p.id]), newMemo());
  const onPath = held.includes(p.id);
  const base = { purpose: p.id, purposeName: p.name, rule: p.retention ?? null, notice: retentionText(rule), onPath, defeatedBy: [] as DefeatingPurpose[] };
  if (own.kind === 'review') {
    if (!onPath) return { ...base, kind: 'review', promisedOn: null, action: null, holds: true };
    // A review promise holds when the record comes up for review; a purpose with no end and no
    // review (criteria only) makes it "needs a decision" instead, and no review is ever scheduled.
    const v = evaluateRecord(model, walk.subject, recordOf(relationship, category, held), AS_OF, newMemo());
    const defeatedBy = v.status === 'review' ? [] : v.outcomes.filter((o) => o.kind === 'undecided').map((o) => ({ purpose: o.purpose, rule: o.rule, outcome: describeOutcome(o) }));
    return { ...base, kind: 'review', promisedOn: null, action: null, holds: defeatedBy.length === 0, defeatedBy };
  }
  if (own.kind !== 'ends') return { ...base, kind: 'open', promisedOn: null, action: null, holds: null };
  const fixed = { ...base, kind: 'fixed' as const, promisedOn: own.end, action: own.action };
  // Off the path, the promise binds only records collected for this purpose, which are held for it alone.
  if (!onPath) return { ...fixed, holds: true };
  const v = evaluateRecord(model, walk.subject, recordOf(relationship, category, held), AS_OF, newMemo());
  const defeatedBy = v.outcomes
    .filter((o) => o.purpose !== p.id && (o.kind !== 'ends' || o.end > own.end))
    .map((o) => ({ purpose: o.purpose, rule: o.rule, outcome: describeOutcome(o) }));
  return { ...fixed, holds: defeatedBy.length === 0, defeatedBy };
}

/** Walks every relationship of the declaration through its life; pure, no database. */
export function simulatePromises(policy: Policy, loaded?: LoadedPolicy): PromisesReport {
  const model = modelOf(policy, loaded);
  let defeated = 0;
  let promises = 0;
  const relationships = policy.relationships.map((rel): RelationshipPaths => {
    const { life, scenarios } = lifeOf(model, policy, rel.id);
    const all = walks(rel.id, life, scenarios);
    const categoryIds = [...new Set(policy.purposes.filter((p) => p.relationships.includes(rel.id)).flatMap((p) => p.categories))];
    const categories = categoryIds.flatMap((cid): CategoryPath[] => {
      const applicable = purposesFor(policy, rel.id, cid);
      if (applicable.length === 0) return [];
      const defaults = defaultPurposesFor(policy, rel.id, cid);
      const held = defaults ?? applicable.map((p) => p.id);
      const outcomes = all.map((w) => toOutcome(model, w, evaluateRecord(model, w.subject, recordOf(rel.id, cid, held), AS_OF, newMemo())));
      const notice = applicable.map((p) => promiseOf(model, policy, rel.id, cid, p, held, all));
      for (const n of notice) {
        if (n.kind !== 'fixed') continue;
        promises++;
        if (n.holds === false) defeated++;
      }
      return [
        {
          category: cid,
          categoryName: policy.data_categories.find((c) => c.id === cid)?.name ?? cid,
          purposes: applicable.map((p) => p.id),
          heldFor: held,
          heldBy: defaults ? 'default-purposes' : 'every-purpose',
          outcomes,
          promises: notice,
        },
      ];
    });
    return { relationship: rel.id, name: rel.name, role: rel.role, defaultPurposes: rel.default_purposes ?? null, life, scenarios, categories };
  });
  return { organisation: policy.organisation.name, start: SIMULATION_START, relationships, defeated, promises };
}
