/**
 * What leaves the server about breaches: every field is listed here, nothing else. The ICO
 * report has its own presenter (breaches.report.presenter.ts); the register as CSV is
 * breaches.export.ts.
 */
import { z } from 'zod';
import type { SelectionResult, AffectedListing } from './breaches.affected.js';
import type { BreachClock } from './breaches.clock.js';
import type { AffectedCounts, BreachFacts, BreachState, EventData } from './breaches.events.js';
import type { NotifyPreview, NotifyResult } from './breaches.notify.js';
import type { ReminderRun } from './breaches.reminders.js';
import type { BreachSummary } from './breaches.read.js';
import type { BreachView, HistoryEntry } from './breaches.view.js';

export const clockResponse = z.object({
  awareAt: z.string(),
  deadline: z.string(),
  awareAtUk: z.string(),
  deadlineUk: z.string(),
  windowHours: z.number(),
  state: z.enum(['within-time', 'due-soon', 'late', 'reported', 'reported-late', 'not-required']),
  hoursRemaining: z.number().nullable(),
  minutesRemaining: z.number().nullable(),
  hoursLate: z.number().nullable(),
  reportedAt: z.string().nullable(),
  delayReasonRequired: z.boolean(),
  label: z.string(),
});

export const contactPointResponse = z.object({ kind: z.string().optional(), name: z.string().optional(), title: z.string().optional(), email: z.string().optional(), phone: z.string().optional() });

export const factsResponse = z.object({
  title: z.string(),
  description: z.string().optional(),
  descriptionForPeople: z.string().optional(),
  howDiscovered: z.string().optional(),
  occurredAt: z.string().optional(),
  occurredUntil: z.string().optional(),
  awareAt: z.string(),
  containedAt: z.string().optional(),
  natures: z.array(z.string()),
  systems: z.array(z.string()),
  categories: z.array(z.string()),
  relationships: z.array(z.string()),
  approxPeople: z.number().optional(),
  approxRecords: z.number().optional(),
  consequences: z.string().optional(),
  measuresTaken: z.string().optional(),
  measuresProposed: z.string().optional(),
  adviceToPeople: z.string().optional(),
  contactPoint: contactPointResponse.optional(),
});

export const countsResponse = z.object({
  people: z.number(),
  records: z.number(),
  byCategory: z.array(z.object({ category: z.string(), people: z.number(), records: z.number() })),
  byRelationship: z.array(z.object({ relationship: z.string(), people: z.number() })),
});

const decision = z.object({ decision: z.string(), reason: z.string(), decidedBy: z.string(), recordedBy: z.string(), at: z.string() }).nullable();

const historyEntry = z.object({
  seq: z.number(),
  at: z.string(),
  atUk: z.string(),
  actor: z.string(),
  actorName: z.string(),
  actorRole: z.string().nullable(),
  type: z.string(),
  summary: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const breachResponse = z.object({
  id: z.string(),
  reference: z.string(),
  status: z.enum(['open', 'closed']),
  version: z.number(),
  openedAt: z.string(),
  openedBy: z.string(),
  updatedAt: z.string(),
  asOf: z.string().nullable(),
  facts: factsResponse,
  clock: clockResponse,
  contactPoint: contactPointResponse,
  risk: z.object({ level: z.string(), reasons: z.string(), exemptions: z.array(z.string()), assessedBy: z.string(), at: z.string() }).nullable(),
  decisions: z.object({ ico: decision, people: decision }),
  icoReports: z.array(
    z.object({
      phase: z.string(),
      submittedAt: z.string(),
      icoReference: z.string().nullable(),
      delayReason: z.string().nullable(),
      note: z.string().nullable(),
      late: z.boolean(),
      recordedBy: z.string(),
      recordedAt: z.string(),
    }),
  ),
  affected: countsResponse.nullable(),
  notifications: z.object({
    email: z.object({ sent: z.number(), failed: z.number(), noAddress: z.number() }),
    post: z.object({ exported: z.number() }),
    notYetTold: z.number(),
  }),
  reminders: z.array(z.object({ stage: z.string(), status: z.string(), dueAt: z.string(), sentAt: z.string().nullable() })),
  closed: z.object({ at: z.string(), by: z.string(), reason: z.string() }).nullable(),
  history: z.array(historyEntry).optional(),
});

export const summaryResponse = z.object({
  id: z.string(),
  reference: z.string(),
  title: z.string(),
  status: z.enum(['open', 'closed']),
  awareAt: z.string(),
  clock: clockResponse,
  risk: z.string().nullable(),
  icoDecision: z.string().nullable(),
  peopleDecision: z.string().nullable(),
  peopleAffected: z.number().nullable(),
  version: z.number(),
  updatedAt: z.string(),
});

export const presentClock = (c: BreachClock): z.infer<typeof clockResponse> => ({
  awareAt: c.awareAt,
  deadline: c.deadline,
  awareAtUk: c.awareAtUk,
  deadlineUk: c.deadlineUk,
  windowHours: c.windowHours,
  state: c.state,
  hoursRemaining: c.hoursRemaining,
  minutesRemaining: c.minutesRemaining,
  hoursLate: c.hoursLate,
  reportedAt: c.reportedAt,
  delayReasonRequired: c.delayReasonRequired,
  label: c.label,
});

export function presentFacts(f: Partial<BreachFacts>): Record<string, unknown> {
  const keys: Array<keyof BreachFacts> = [
    'title',
    'description',
    'descriptionForPeople',
    'howDiscovered',
    'occurredAt',
    'occurredUntil',
    'awareAt',
    'containedAt',
    'natures',
    'systems',
    'categories',
    'relationships',
    'approxPeople',
    'approxRecords',
    'consequences',
    'measuresTaken',
    'measuresProposed',
    'adviceToPeople',
    'contactPoint',
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (f[k] !== undefined) out[k] = f[k];
  return out;
}

export const presentCounts = (c: AffectedCounts): z.infer<typeof countsResponse> => ({
  people: c.people,
  records: c.records,
  byCategory: c.byCategory.map((x) => ({ category: x.category, people: x.people, records: x.records })),
  byRelationship: c.byRelationship.map((x) => ({ relationship: x.relationship, people: x.people })),
});

/** The content of an event in the history, field by field. */
export function eventDetail(d: EventData): Record<string, unknown> {
  switch (d.type) {
    case 'opened':
      return { facts: presentFacts(d.facts) };
    case 'facts-updated':
      return { changes: presentFacts(d.changes), cleared: d.cleared, ...(d.reason ? { reason: d.reason } : {}) };
    case 'risk-assessed':
      return { level: d.level, reasons: d.reasons, exemptions: d.exemptions };
    case 'decision':
      return { about: d.about, decision: d.decision, reason: d.reason, ...(d.decidedBy ? { decidedBy: d.decidedBy } : {}) };
    case 'ico-reported':
      return {
        phase: d.phase,
        submittedAt: d.submittedAt,
        late: d.late,
        ...(d.icoReference ? { icoReference: d.icoReference } : {}),
        ...(d.delayReason ? { delayReason: d.delayReason } : {}),
        ...(d.note ? { note: d.note } : {}),
      };
    case 'affected-selected':
      return { mode: d.mode, criteria: d.criteria, matched: d.matched, added: d.added, removed: d.removed, totals: presentCounts(d.totals) };
    case 'people-notified':
      return { channel: d.channel, sent: d.sent, failed: d.failed, noAddress: d.noAddress, exported: d.exported };
    case 'note':
      return { text: d.text };
    case 'closed':
    case 'reopened':
      return { reason: d.reason };
  }
}

const presentHistory = (h: HistoryEntry): z.infer<typeof historyEntry> => ({
  seq: h.seq,
  at: h.at,
  atUk: h.atUk,
  actor: h.actor,
  actorName: h.actorName,
  actorRole: h.actorRole,
  type: h.type,
  summary: h.summary,
  detail: eventDetail(h.data),
});

export function presentBreach(v: BreachView): z.infer<typeof breachResponse> {
  const s: BreachState = v.state;
  return {
    id: v.id,
    reference: v.reference,
    status: v.status,
    version: s.version,
    openedAt: s.openedAt,
    openedBy: s.openedBy,
    updatedAt: s.updatedAt,
    asOf: v.asOf,
    facts: presentFacts(s.facts) as z.infer<typeof factsResponse>,
    clock: presentClock(v.clock),
    contactPoint: { ...v.contactPoint },
    risk: s.risk ? { level: s.risk.level, reasons: s.risk.reasons, exemptions: s.risk.exemptions, assessedBy: s.risk.assessedBy, at: s.risk.at } : null,
    decisions: { ico: s.decisions.ico ? { ...s.decisions.ico } : null, people: s.decisions.people ? { ...s.decisions.people } : null },
    icoReports: s.icoReports.map((r) => ({
      phase: r.phase,
      submittedAt: r.submittedAt,
      icoReference: r.icoReference ?? null,
      delayReason: r.delayReason ?? null,
      note: r.note ?? null,
      late: r.late,
      recordedBy: r.recordedBy,
      recordedAt: r.recordedAt,
    })),
    affected: s.affected ? presentCounts(s.affected) : null,
    notifications: { email: { ...v.notifications.email }, post: { ...v.notifications.post }, notYetTold: v.notifications.notYetTold },
    reminders: v.reminders.map((r) => ({ ...r })),
    closed: s.closed ? { ...s.closed } : null,
    ...(v.history ? { history: v.history.map(presentHistory) } : {}),
  };
}

export const presentSummary = (b: BreachSummary): z.infer<typeof summaryResponse> => ({
  id: b.id,
  reference: b.reference,
  title: b.title,
  status: b.status,
  awareAt: b.awareAt,
  clock: presentClock(b.clock),
  risk: b.risk,
  icoDecision: b.icoDecision,
  peopleDecision: b.peopleDecision,
  peopleAffected: b.peopleAffected,
  version: b.version,
  updatedAt: b.updatedAt,
});

export const selectionResponse = z.object({
  matched: z.number(),
  added: z.number(),
  removed: z.number(),
  version: z.number(),
  criteria: z.record(z.string(), z.unknown()),
  totals: countsResponse,
});

export const presentSelection = (r: SelectionResult): z.infer<typeof selectionResponse> => ({
  matched: r.matched,
  added: r.added,
  removed: r.removed,
  version: r.version,
  criteria: { ...r.criteria },
  totals: presentCounts(r.totals),
});

export const affectedResponse = z.object({
  counts: countsResponse,
  people: z
    .array(
      z.object({
        subjectId: z.string(),
        categories: z.record(z.string(), z.number()),
        records: z.number(),
        email: z.enum(['sending', 'sent', 'failed', 'no-address']).nullable(),
        post: z.enum(['exported']).nullable(),
      }),
    )
    .nullable(),
  withheld: z.string().nullable(),
  next: z.string().nullable(),
});

export const presentAffected = (a: AffectedListing): z.infer<typeof affectedResponse> => ({
  counts: presentCounts(a.counts),
  people: a.people ? a.people.map((p) => ({ subjectId: p.subjectId, categories: { ...p.categories }, records: p.records, email: p.email, post: p.post })) : null,
  withheld: a.withheld,
  next: a.next,
});

export const notifyResponse = z.object({
  reference: z.string(),
  attempted: z.number(),
  sent: z.number(),
  failed: z.number(),
  noAddress: z.number(),
  alreadyTold: z.number(),
});

export const presentNotify = (r: NotifyResult): z.infer<typeof notifyResponse> => ({
  reference: r.reference,
  attempted: r.attempted,
  sent: r.sent,
  failed: r.failed,
  noAddress: r.noAddress,
  alreadyTold: r.alreadyTold,
});

export const notifyPreviewResponse = z.object({
  reference: z.string(),
  recipients: z.number(),
  withoutEmail: z.number(),
  alreadyTold: z.number(),
  letter: z.object({ subject: z.string(), text: z.string() }),
});

export const presentNotifyPreview = (p: NotifyPreview): z.infer<typeof notifyPreviewResponse> => ({
  reference: p.reference,
  recipients: p.recipients,
  withoutEmail: p.withoutEmail,
  alreadyTold: p.alreadyTold,
  letter: { subject: p.letter.subject, text: p.letter.text },
});

export const presentReminderRun = (r: ReminderRun) => ({
  checked: r.checked,
  outcomes: r.outcomes.map((o) => ({ breachId: o.breachId, reference: o.reference, stage: o.stage, status: o.status, ...(o.error ? { error: o.error } : {}) })),
  warning: r.warning,
});
