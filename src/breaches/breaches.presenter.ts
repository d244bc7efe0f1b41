/**
 * What leaves the server about breaches: every field is listed here, nothing else; and the
 * register export as CSV, with cells a spreadsheet would run as formulas neutralised.
 */
import { z } from 'zod';
import type { SelectionResult, AffectedListing } from './breaches.affected.js';
import { formatUk, type BreachClock } from './breaches.clock.js';
import type { AffectedCounts, BreachFacts, BreachState, EventData } from './breaches.events.js';
import type { NotifyPreview, NotifyResult } from './breaches.notify.js';
import type { ReminderRun } from './breaches.reminders.js';
import type { IcoReport } from './breaches.report.js';
import type { BreachSummary, BreachView, HistoryEntry } from './breaches.service.js';

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

const contactPoint = z.object({ kind: z.string().optional(), name: z.string().optional(), title: z.string().optional(), email: z.string().optional(), phone: z.string().optional() });

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
  contactPoint: contactPoint.optional(),
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
  contactPoint,
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

const ukTime = z.object({ utc: z.string(), uk: z.string() });
const decisionOut = z.object({ decision: z.string(), reason: z.string(), decidedBy: z.string(), at: ukTime }).nullable();

/** The ICO report as JSON: the Art 33(3) items, each listed. */
export const icoReportResponse = z.object({
  kind: z.literal('ico-breach-report'),
  phase: z.enum(['initial', 'update', 'final']),
  reference: z.string(),
  breachId: z.string(),
  title: z.string(),
  generatedAt: ukTime,
  asOf: ukTime,
  version: z.number(),
  controller: z.object({
    name: z.string(),
    legalName: z.string(),
    companyNumber: z.string().nullable(),
    icoRegistration: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().nullable(),
  }),
  contactPoint,
  timeline: z.object({
    occurredAt: ukTime.nullable(),
    occurredUntil: ukTime.nullable(),
    awareAt: ukTime,
    howDiscovered: z.string().nullable(),
    containedAt: ukTime.nullable(),
    deadline: ukTime,
    firstReportedAt: ukTime.nullable(),
    late: z.boolean(),
    hoursLate: z.number().nullable(),
    delayReason: z.string().nullable(),
  }),
  clock: clockResponse,
  nature: z.object({
    description: z.string().nullable(),
    types: z.array(z.object({ id: z.string(), meaning: z.string() })),
    systems: z.array(z.string()),
    dataCategories: z.array(
      z.object({ id: z.string(), name: z.string(), specialCategory: z.string().nullable(), criminalOffence: z.boolean(), people: z.number().nullable(), records: z.number().nullable() }),
    ),
    subjectCategories: z.array(z.object({ id: z.string(), name: z.string(), people: z.number().nullable() })),
    approximatePeople: z.number().nullable(),
    approximateRecords: z.number().nullable(),
    peopleInRegister: z.number().nullable(),
    recordsInRegister: z.number().nullable(),
  }),
  likelyConsequences: z.string().nullable(),
  measures: z.object({ taken: z.string().nullable(), proposed: z.string().nullable() }),
  riskAssessment: z
    .object({ level: z.string(), reasons: z.string(), exemptions: z.array(z.object({ id: z.string(), meaning: z.string() })), assessedAt: ukTime })
    .nullable(),
  decisions: z.object({ ico: decisionOut, people: decisionOut }),
  peopleTold: z.object({
    email: z.object({ sent: z.number(), failed: z.number(), noAddress: z.number() }),
    post: z.object({ exported: z.number() }),
    notYetTold: z.number(),
    lastAt: ukTime.nullable(),
  }),
  previousReports: z.array(z.object({ phase: z.string(), submittedAt: ukTime, icoReference: z.string().nullable(), late: z.boolean() })),
  missing: z.array(z.string()),
});

export const presentIcoReport = (r: IcoReport): z.infer<typeof icoReportResponse> => icoReportResponse.parse(r);

// ——— the register export ———

import { csvCell } from '../shared/csv.js';
export { csvCell };

export const REGISTER_CSV_COLUMNS = [
  'reference',
  'id',
  'status',
  'title',
  'occurred_at_uk',
  'aware_at_uk',
  'aware_at_utc',
  'deadline_uk',
  'clock',
  'natures',
  'categories',
  'people_affected',
  'records_affected',
  'risk',
  'risk_reasons',
  'exemptions',
  'ico_decision',
  'ico_decision_reason',
  'ico_decided_by',
  'ico_first_report_uk',
  'ico_reports',
  'reported_late',
  'delay_reason',
  'people_decision',
  'people_decision_reason',
  'people_emailed',
  'letters_exported',
  'consequences',
  'measures_taken',
  'measures_proposed',
  'closed_uk',
  'close_reason',
  'version',
] as const;

export function registerCsvRow(row: { id: string; reference: string }, s: BreachState, clock: BreachClock): string {
  const f = s.facts;
  const first = [...s.icoReports].sort((a, b) => a.submittedAt.localeCompare(b.submittedAt))[0];
  const values: Record<(typeof REGISTER_CSV_COLUMNS)[number], unknown> = {
    reference: row.reference,
    id: row.id,
    status: s.closed ? 'closed' : 'open',
    title: f.title,
    occurred_at_uk: formatUk(f.occurredAt),
    aware_at_uk: formatUk(f.awareAt),
    aware_at_utc: f.awareAt,
    deadline_uk: clock.deadlineUk,
    clock: clock.state,
    natures: f.natures.join('; '),
    categories: [...new Set([...f.categories, ...(s.affected?.byCategory.map((c) => c.category) ?? [])])].join('; '),
    people_affected: s.affected?.people ?? f.approxPeople ?? '',
    records_affected: s.affected?.records ?? f.approxRecords ?? '',
    risk: s.risk?.level ?? '',
    risk_reasons: s.risk?.reasons ?? '',
    exemptions: s.risk?.exemptions.join('; ') ?? '',
    ico_decision: s.decisions.ico?.decision ?? (s.icoReports.length ? 'notify' : ''),
    ico_decision_reason: s.decisions.ico?.reason ?? '',
    ico_decided_by: s.decisions.ico?.decidedBy ?? '',
    ico_first_report_uk: formatUk(first?.submittedAt),
    ico_reports: s.icoReports.length,
    reported_late: first ? (first.late ? 'yes' : 'no') : '',
    delay_reason: s.icoReports.find((r) => r.delayReason)?.delayReason ?? '',
    people_decision: s.decisions.people?.decision ?? '',
    people_decision_reason: s.decisions.people?.reason ?? '',
    people_emailed: s.told.emailSent,
    letters_exported: s.told.postExported,
    consequences: f.consequences ?? '',
    measures_taken: f.measuresTaken ?? '',
    measures_proposed: f.measuresProposed ?? '',
    closed_uk: formatUk(s.closed?.at),
    close_reason: s.closed?.reason ?? '',
    version: s.version,
  };
  return `${REGISTER_CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\r\n`;
}
