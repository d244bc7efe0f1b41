/**
 * The report to the ICO (UK GDPR Art 33(3)), built from the breach as it stands (or stood, with
 * `asOf`). Every item the article requires is present; an item not yet known is listed under
 * `missing` and said to follow, as Art 33(4) allows information to be given in phases:
 *   (a) the nature of the breach, including where possible the categories and approximate number
 *       of data subjects concerned and the categories and approximate number of records;
 *   (b) the name and contact details of the DPO or other contact point;
 *   (c) the likely consequences;
 *   (d) the measures taken or proposed, including to mitigate its possible adverse effects;
 * plus when it happened and when the organisation became aware, and reasons for any delay.
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { formatUk, parseInstant, type BreachClock } from './breaches.clock.js';
import { EXEMPTION_TEXT, firstIcoReport, foldEvents, type ContactPoint, type Exemption, type IcoPhase, type Nature } from './breaches.events.js';
import { loadBreach } from './breaches.read.js';
import { clockOf, contactPointFor, notificationSummary, type NotificationSummary } from './breaches.view.js';
import { StewardError } from '../shared/errors.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export interface UkTime {
  utc: string;
  uk: string;
}

const when = (iso: string | undefined | null): UkTime | null => (iso ? { utc: iso, uk: formatUk(iso) } : null);

export interface IcoReport {
  kind: 'ico-breach-report';
  /** initial: nothing sent yet; update: adds to what the ICO already has (Art 33(4)). */
  phase: IcoPhase;
  reference: string;
  breachId: string;
  title: string;
  generatedAt: UkTime;
  /** The report shows what was known at this moment. */
  asOf: UkTime;
  version: number;
  controller: { name: string; legalName: string; companyNumber: string | null; icoRegistration: string | null; email: string | null; phone: string | null; address: string | null };
  contactPoint: ContactPoint & { kind: string };
  timeline: {
    occurredAt: UkTime | null;
    occurredUntil: UkTime | null;
    awareAt: UkTime;
    howDiscovered: string | null;
    containedAt: UkTime | null;
    deadline: UkTime;
    firstReportedAt: UkTime | null;
    late: boolean;
    hoursLate: number | null;
    delayReason: string | null;
  };
  clock: BreachClock;
  nature: {
    description: string | null;
    types: Array<{ id: Nature; meaning: string }>;
    systems: string[];
    dataCategories: Array<{ id: string; name: string; specialCategory: string | null; criminalOffence: boolean; people: number | null; records: number | null }>;
    subjectCategories: Array<{ id: string; name: string; people: number | null }>;
    approximatePeople: number | null;
    approximateRecords: number | null;
    peopleInRegister: number | null;
    recordsInRegister: number | null;
  };
  likelyConsequences: string | null;
  measures: { taken: string | null; proposed: string | null };
  riskAssessment: { level: string; reasons: string; exemptions: Array<{ id: Exemption; meaning: string }>; assessedAt: UkTime } | null;
  decisions: {
    ico: { decision: string; reason: string; decidedBy: string; at: UkTime } | null;
    people: { decision: string; reason: string; decidedBy: string; at: UkTime } | null;
  };
  peopleTold: NotificationSummary & { lastAt: UkTime | null };
  previousReports: Array<{ phase: IcoPhase; submittedAt: UkTime; icoReference: string | null; late: boolean }>;
  /** Items not yet known, to follow in a later phase. */
  missing: string[];
}

const NATURE_TEXT: Record<Nature, string> = {
  confidentiality: 'confidentiality: personal data was disclosed to, or accessed by, someone not entitled to it',
  integrity: 'integrity: personal data was altered without authority',
  availability: 'availability: personal data was lost or destroyed, or access to it was lost',
};

export async function buildIcoReport(ctx: AppContext, actor: Actor, id: string, opts: { asOf?: string } = {}): Promise<IcoReport> {
  authorise(actor, 'breaches:read');
  const now = ctx.clock.now();
  const asOf = opts.asOf ? parseInstant(opts.asOf, 'asOf') : undefined;
  return writeTx(ctx, async (trx) => {
    const b = await loadBreach(ctx, trx, id);
    if (asOf && Date.parse(asOf) < Date.parse(b.events[0]!.at)) {
      throw new StewardError('VALIDATION_FAILED', `asOf: is before the breach was recorded (${formatUk(b.events[0]!.at)})`, [{ path: 'asOf', message: 'before the breach was recorded' }]);
    }
    const state = asOf ? foldEvents(b.events, asOf) : b.state;
    const moment = asOf ? new Date(asOf) : now;
    const f = state.facts;
    const idx = policyIndex(ctx.policy);
    const org = ctx.policy.policy.organisation;
    const controllerEntity = org.entities.find((e) => e.id === org.controller) ?? org.entities[0]!;
    const clock = clockOf(state, moment);
    const first = firstIcoReport(state);
    const affected = state.affected;
    const categoryIds = [...new Set([...f.categories, ...(affected?.byCategory.map((c) => c.category) ?? [])])];
    const relationshipIds = [...new Set([...f.relationships, ...(affected?.byRelationship.map((r) => r.relationship) ?? [])])];
    const contactPoint = contactPointFor(ctx, f);
    const address = controllerEntity.registered_address ?? controllerEntity.trading_address ?? org.contact.address;
    const told = await notificationSummary(trx, b.row.id);

    const report: IcoReport = {
      kind: 'ico-breach-report',
      phase: state.icoReports.length > 0 ? 'update' : 'initial',
      reference: b.row.reference,
      breachId: b.row.id,
      title: f.title,
      generatedAt: when(now.toISOString())!,
      asOf: when(moment.toISOString())!,
      version: state.version,
      controller: {
        name: org.name,
        legalName: controllerEntity.name,
        companyNumber: controllerEntity.company_number ?? null,
        icoRegistration: controllerEntity.ico_registration ?? null,
        email: org.contact.email ?? null,
        phone: org.contact.phone ?? null,
        address: formatAddress(address),
      },
      contactPoint,
      timeline: {
        occurredAt: when(f.occurredAt),
        occurredUntil: when(f.occurredUntil),
        awareAt: when(f.awareAt)!,
        howDiscovered: f.howDiscovered ?? null,
        containedAt: when(f.containedAt),
        deadline: when(clock.deadline)!,
        firstReportedAt: when(first?.submittedAt),
        late: clock.state === 'late' || clock.state === 'reported-late',
        hoursLate: clock.hoursLate,
        delayReason: state.icoReports.find((r) => r.delayReason)?.delayReason ?? null,
      },
      clock,
      nature: {
        description: f.description ?? null,
        types: f.natures.map((n) => ({ id: n, meaning: NATURE_TEXT[n] })),
        systems: f.systems,
        dataCategories: categoryIds.map((cid) => {
          const cat = idx.categories.get(cid);
          const counted = affected?.byCategory.find((c) => c.category === cid);
          return {
            id: cid,
            name: cat?.name ?? cid,
            specialCategory: cat?.special_category ?? null,
            criminalOffence: cat?.criminal_offence ?? false,
            people: counted?.people ?? null,
            records: counted?.records ?? null,
          };
        }),
        subjectCategories: relationshipIds.map((rid) => ({
          id: rid,
          name: idx.relationships.get(rid)?.name ?? rid,
          people: affected?.byRelationship.find((r) => r.relationship === rid)?.people ?? null,
        })),
        // The estimate, where given, covers people outside the register too.
        approximatePeople: maxOf(f.approxPeople, affected?.people),
        approximateRecords: maxOf(f.approxRecords, affected?.records),
        peopleInRegister: affected?.people ?? null,
        recordsInRegister: affected?.records ?? null,
      },
      likelyConsequences: f.consequences ?? null,
      measures: { taken: f.measuresTaken ?? null, proposed: f.measuresProposed ?? null },
      riskAssessment: state.risk
        ? { level: state.risk.level, reasons: state.risk.reasons, exemptions: state.risk.exemptions.map((e) => ({ id: e, meaning: EXEMPTION_TEXT[e] })), assessedAt: when(state.risk.at)! }
        : null,
      decisions: {
        ico: state.decisions.ico ? { decision: state.decisions.ico.decision, reason: state.decisions.ico.reason, decidedBy: state.decisions.ico.decidedBy, at: when(state.decisions.ico.at)! } : null,
        people: state.decisions.people
          ? { decision: state.decisions.people.decision, reason: state.decisions.people.reason, decidedBy: state.decisions.people.decidedBy, at: when(state.decisions.people.at)! }
          : null,
      },
      peopleTold: { ...told, lastAt: when(state.told.lastAt) },
      previousReports: state.icoReports.map((r) => ({ phase: r.phase, submittedAt: when(r.submittedAt)!, icoReference: r.icoReference ?? null, late: r.late })),
      missing: [],
    };
    report.missing = missingItems(report);
    await appendAudit(trx, ctx, actor, [
      { action: 'breach.report', details: { breach: b.row.id, reference: b.row.reference, version: state.version, asOf, missing: report.missing.length } },
    ]);
    return report;
  });
}

const maxOf = (a: number | undefined, b: number | undefined): number | null => (a === undefined && b === undefined ? null : Math.max(a ?? 0, b ?? 0));

function formatAddress(a: unknown): string | null {
  if (!a) return null;
  if (typeof a === 'string') return a;
  if (typeof a === 'object') {
    const o = a as Record<string, unknown>;
    const lines = [...(Array.isArray(o.lines) ? o.lines : []), o.town, o.county, o.postcode, o.country].filter((x): x is string => typeof x === 'string' && x.length > 0);
    return lines.length ? lines.join(', ') : null;
  }
  return null;
}

/** The Art 33(3) items (and the delay reason) that are still unknown. */
export function missingItems(r: IcoReport): string[] {
  const out: string[] = [];
  if (!r.nature.description) out.push('what happened (the nature of the breach)');
  if (r.nature.dataCategories.length === 0) out.push('the categories of personal data concerned');
  if (r.nature.subjectCategories.length === 0) out.push('the categories of people concerned');
  if (r.nature.approximatePeople === null) out.push('the approximate number of people concerned');
  if (r.nature.approximateRecords === null) out.push('the approximate number of records concerned');
  if (!r.contactPoint.email && !r.contactPoint.phone) out.push('how to reach the contact point');
  if (!r.likelyConsequences) out.push('the likely consequences');
  if (!r.measures.taken && !r.measures.proposed) out.push('the measures taken or proposed');
  if (!r.timeline.occurredAt) out.push('when the breach happened');
  if (r.timeline.late && !r.timeline.delayReason) out.push('the reasons for the delay');
  return out;
}
