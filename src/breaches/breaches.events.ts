/**
 * A breach is its events. Each change (the report, an update of the facts, a risk assessment, a
 * decision with its reason, a report to the ICO, the people affected, the people told) is
 * appended, never overwritten; the current state is a fold over the events, and folding only the
 * events up to a moment gives what was known then (Art 33(5): document the facts, effects and
 * remedial action; Art 33(4): information may be given in phases).
 */
import { z } from 'zod';

export const NATURES = ['confidentiality', 'integrity', 'availability'] as const;
export type Nature = (typeof NATURES)[number];
export const RISK_LEVELS = ['unlikely', 'risk', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** Art 34(3): when people need not be told despite a high risk. */
export const EXEMPTIONS = ['encrypted', 'mitigated', 'disproportionate'] as const;
export type Exemption = (typeof EXEMPTIONS)[number];
export const ICO_PHASES = ['initial', 'update', 'final'] as const;
export type IcoPhase = (typeof ICO_PHASES)[number];
export const DECISIONS = ['notify', 'not-notify', 'public-notice'] as const;
export type DecisionOutcome = (typeof DECISIONS)[number];

export const EXEMPTION_TEXT: Record<Exemption, string> = {
  encrypted: 'the data was unintelligible to anyone not authorised to see it (for example, encrypted)',
  mitigated: 'measures taken since mean the high risk is no longer likely to materialise',
  disproportionate: 'telling each person would involve disproportionate effort, so a public notice is used instead',
};

export const LIMITS = {
  title: 200,
  text: 20_000,
  item: 300,
  listItems: 50,
  identifiersPerCall: 50_000,
};

// ——— input shapes, shared by the HTTP schemas, the CLI and the service ———

const longText = z.string().trim().min(1).max(LIMITS.text);
const shortItem = z.string().trim().min(1).max(LIMITS.item);
const idText = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an id from the declaration (lower-case letters, digits and dashes)').max(64);
/** A time as typed: ISO 8601 with an offset, or UK local time ("2026-03-06 19:30"). */
export const timeText = z.string().trim().min(1).max(40);
const count = z.number().int().min(0).max(1_000_000_000);

export const contactPointInput = z.strictObject({
  name: shortItem.optional(),
  title: shortItem.optional(),
  email: z.string().trim().max(320).optional(),
  phone: z.string().trim().max(60).optional(),
});

/** The facts, as they may be given when reporting a breach and changed later. */
const factsFields = {
  title: z.string().trim().min(1).max(LIMITS.title).regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'one line, without control characters'),
  description: longText.optional(),
  /** The same, in plain words for the people affected (the letters use it). */
  descriptionForPeople: longText.optional(),
  howDiscovered: longText.optional(),
  occurredAt: timeText.optional(),
  occurredUntil: timeText.optional(),
  awareAt: timeText,
  containedAt: timeText.optional(),
  natures: z.array(z.enum(NATURES)).max(3).optional(),
  systems: z.array(shortItem).max(LIMITS.listItems).optional(),
  categories: z.array(idText).max(LIMITS.listItems).optional(),
  relationships: z.array(idText).max(LIMITS.listItems).optional(),
  approxPeople: count.optional(),
  approxRecords: count.optional(),
  consequences: longText.optional(),
  measuresTaken: longText.optional(),
  measuresProposed: longText.optional(),
  adviceToPeople: longText.optional(),
  contactPoint: contactPointInput.optional(),
};

export const openInput = z.strictObject(factsFields);
export type OpenInput = z.input<typeof openInput>;

/** A change of facts: the fields given replace the current ones; null clears an optional field. */
export const factsUpdateInput = z.strictObject({
  title: factsFields.title.optional(),
  description: longText.nullable().optional(),
  descriptionForPeople: longText.nullable().optional(),
  howDiscovered: longText.nullable().optional(),
  occurredAt: timeText.nullable().optional(),
  occurredUntil: timeText.nullable().optional(),
  awareAt: timeText.optional(),
  containedAt: timeText.nullable().optional(),
  natures: factsFields.natures,
  systems: factsFields.systems,
  categories: factsFields.categories,
  relationships: factsFields.relationships,
  approxPeople: count.nullable().optional(),
  approxRecords: count.nullable().optional(),
  consequences: longText.nullable().optional(),
  measuresTaken: longText.nullable().optional(),
  measuresProposed: longText.nullable().optional(),
  adviceToPeople: longText.nullable().optional(),
  contactPoint: contactPointInput.nullable().optional(),
  /** Why the facts changed; required when the awareness time is corrected (it moves the deadline). */
  reason: longText.optional(),
  /** The version the caller last saw: refused with CONFLICT if another change came first. */
  expectedVersion: z.number().int().min(1).optional(),
});
export type FactsUpdateInput = z.input<typeof factsUpdateInput>;

export const assessInput = z.strictObject({
  level: z.enum(RISK_LEVELS),
  reasons: longText,
  exemptions: z.array(z.enum(EXEMPTIONS)).max(3).optional(),
  expectedVersion: z.number().int().min(1).optional(),
});
export type AssessInput = z.input<typeof assessInput>;

export const decideInput = z.strictObject({
  about: z.enum(['ico', 'people']),
  decision: z.enum(DECISIONS),
  reason: longText,
  /** Who made the decision, if not the person recording it (a board, a named manager). */
  decidedBy: shortItem.optional(),
  expectedVersion: z.number().int().min(1).optional(),
});
export type DecideInput = z.input<typeof decideInput>;

export const icoReportInput = z.strictObject({
  phase: z.enum(ICO_PHASES),
  /** When the report reached the ICO; default now. */
  submittedAt: timeText.optional(),
  /** The ICO's case reference, once known. */
  icoReference: shortItem.optional(),
  /** Required when the first report is made after the 72 hours (Art 33(1)). */
  delayReason: longText.optional(),
  note: longText.optional(),
  expectedVersion: z.number().int().min(1).optional(),
});
export type IcoReportInput = z.input<typeof icoReportInput>;

export const noteInput = z.strictObject({ text: longText, expectedVersion: z.number().int().min(1).optional() });
export const closeInput = z.strictObject({ reason: longText, expectedVersion: z.number().int().min(1).optional() });

// ——— stored events ———

export interface ContactPoint {
  name?: string;
  title?: string;
  email?: string;
  phone?: string;
}

/** The facts as stored: times resolved to UTC ISO strings. */
export interface BreachFacts {
  title: string;
  description?: string;
  descriptionForPeople?: string;
  howDiscovered?: string;
  occurredAt?: string;
  occurredUntil?: string;
  awareAt: string;
  containedAt?: string;
  natures: Nature[];
  systems: string[];
  categories: string[];
  relationships: string[];
  approxPeople?: number;
  approxRecords?: number;
  consequences?: string;
  measuresTaken?: string;
  measuresProposed?: string;
  adviceToPeople?: string;
  contactPoint?: ContactPoint;
}

export interface AffectedCounts {
  people: number;
  records: number;
  byCategory: Array<{ category: string; people: number; records: number }>;
  byRelationship: Array<{ relationship: string; people: number }>;
}

/** What an affected-people selection was: never the identifiers themselves. */
export interface SelectionCriteria {
  all?: boolean;
  categories?: string[];
  relationships?: string[];
  sources?: string[];
  collectedFrom?: string;
  collectedTo?: string;
  identifiers?: { given: number; matchedPeople: number; unmatched: number; invalid: number };
}

export type EventData =
  | { type: 'opened'; facts: BreachFacts }
  | { type: 'facts-updated'; changes: Partial<BreachFacts>; cleared: Array<keyof BreachFacts>; reason?: string }
  | { type: 'risk-assessed'; level: RiskLevel; reasons: string; exemptions: Exemption[] }
  | { type: 'decision'; about: 'ico' | 'people'; decision: DecisionOutcome; reason: string; decidedBy?: string }
  | { type: 'ico-reported'; phase: IcoPhase; submittedAt: string; icoReference?: string; delayReason?: string; note?: string; late: boolean }
  | { type: 'affected-selected'; mode: 'add' | 'replace'; criteria: SelectionCriteria; matched: number; added: number; removed: number; totals: AffectedCounts }
  | { type: 'people-notified'; channel: 'email' | 'post'; sent: number; failed: number; noAddress: number; exported: number }
  | { type: 'note'; text: string }
  | { type: 'closed'; reason: string }
  | { type: 'reopened'; reason: string };

export type EventType = EventData['type'];

export interface BreachEvent {
  seq: number;
  at: string;
  actor: string;
  actorRole: string | null;
  data: EventData;
}

export interface Decision {
  decision: DecisionOutcome;
  reason: string;
  decidedBy: string;
  recordedBy: string;
  at: string;
}

export interface RiskAssessment {
  level: RiskLevel;
  reasons: string;
  exemptions: Exemption[];
  assessedBy: string;
  at: string;
}

export interface IcoSubmission {
  phase: IcoPhase;
  submittedAt: string;
  icoReference?: string;
  delayReason?: string;
  note?: string;
  late: boolean;
  recordedBy: string;
  recordedAt: string;
}

/** The current state of a breach, as the events make it. */
export interface BreachState {
  facts: BreachFacts;
  risk: RiskAssessment | null;
  decisions: { ico: Decision | null; people: Decision | null };
  icoReports: IcoSubmission[];
  affected: AffectedCounts | null;
  /** Totals over every people-notified event. */
  told: { emailSent: number; emailFailed: number; noAddress: number; postExported: number; lastAt: string | null };
  closed: { at: string; by: string; reason: string } | null;
  openedAt: string;
  openedBy: string;
  version: number;
  updatedAt: string;
}

/** Folds events, in order, into the state; `asOf` stops at what had been recorded by then. */
export function foldEvents(events: readonly BreachEvent[], asOf?: string): BreachState {
  const first = events[0];
  if (!first || first.data.type !== 'opened') throw new Error('a breach history must start with its report');
  const s: BreachState = {
    facts: { ...first.data.facts },
    risk: null,
    decisions: { ico: null, people: null },
    icoReports: [],
    affected: null,
    told: { emailSent: 0, emailFailed: 0, noAddress: 0, postExported: 0, lastAt: null },
    closed: null,
    openedAt: first.at,
    openedBy: first.actor,
    version: first.seq,
    updatedAt: first.at,
  };
  const limit = asOf ? Date.parse(asOf) : Number.POSITIVE_INFINITY;
  for (const e of events.slice(1)) {
    if (Date.parse(e.at) > limit) break;
    s.version = e.seq;
    s.updatedAt = e.at;
    const d = e.data;
    switch (d.type) {
      case 'opened':
        break;
      case 'facts-updated': {
        const next: BreachFacts = { ...s.facts, ...d.changes };
        for (const k of d.cleared) if (k !== 'title' && k !== 'awareAt') delete (next as unknown as Record<string, unknown>)[k];
        s.facts = next;
        break;
      }
      case 'risk-assessed':
        s.risk = { level: d.level, reasons: d.reasons, exemptions: d.exemptions, assessedBy: e.actor, at: e.at };
        break;
      case 'decision':
        s.decisions[d.about] = { decision: d.decision, reason: d.reason, decidedBy: d.decidedBy ?? e.actor, recordedBy: e.actor, at: e.at };
        break;
      case 'ico-reported':
        s.icoReports.push({
          phase: d.phase,
          submittedAt: d.submittedAt,
          late: d.late,
          recordedBy: e.actor,
          recordedAt: e.at,
          ...(d.icoReference ? { icoReference: d.icoReference } : {}),
          ...(d.delayReason ? { delayReason: d.delayReason } : {}),
          ...(d.note ? { note: d.note } : {}),
        });
        break;
      case 'affected-selected':
        s.affected = d.totals;
        break;
      case 'people-notified':
        s.told.emailSent += d.sent;
        s.told.emailFailed += d.failed;
        s.told.noAddress += d.noAddress;
        s.told.postExported += d.exported;
        s.told.lastAt = e.at;
        break;
      case 'note':
        break;
      case 'closed':
        s.closed = { at: e.at, by: e.actor, reason: d.reason };
        break;
      case 'reopened':
        s.closed = null;
        break;
    }
  }
  return s;
}

/** The first report to the ICO: when it reached them, and whether a delay was explained. */
export function firstIcoReport(s: BreachState): IcoSubmission | undefined {
  return [...s.icoReports].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))[0];
}

/** The ICO state the breaches table keeps for listing and reminders. */
export function icoState(s: BreachState): 'pending' | 'reported' | 'not-required' {
  if (s.icoReports.length > 0) return 'reported';
  if (s.decisions.ico?.decision === 'not-notify') return 'not-required';
  return 'pending';
}

/** A one-line account of an event for the history, naming ids, counts and choices only. */
export function describeEvent(d: EventData): string {
  switch (d.type) {
    case 'opened':
      return 'breach reported';
    case 'facts-updated':
      return `facts updated: ${[...Object.keys(d.changes), ...d.cleared.map((c) => `${c} (cleared)`)].join(', ') || 'nothing'}`;
    case 'risk-assessed':
      return `risk assessed: ${d.level}${d.exemptions.length ? ` (exemptions: ${d.exemptions.join(', ')})` : ''}`;
    case 'decision':
      return `decision on ${d.about === 'ico' ? 'reporting to the ICO' : 'telling the people affected'}: ${d.decision}`;
    case 'ico-reported':
      return `${d.phase} report made to the ICO${d.late ? ' (after the 72 hours)' : ''}`;
    case 'affected-selected':
      return `people affected ${d.mode === 'replace' ? 'selected anew' : 'added'}: ${d.matched} matched, ${d.added} added, ${d.removed} removed; now ${d.totals.people} people, ${d.totals.records} records`;
    case 'people-notified':
      return d.channel === 'email'
        ? `people told by email: ${d.sent} sent, ${d.failed} failed, ${d.noAddress} without an email address`
        : `letters exported for post: ${d.exported}`;
    case 'note':
      return 'note added';
    case 'closed':
      return 'breach closed';
    case 'reopened':
      return 'breach reopened';
  }
}
