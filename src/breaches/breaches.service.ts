/**
 * The breach register (UK GDPR Arts 33 and 34): every breach recorded, reported or not, with the
 * 72-hour clock, the risk assessment, each decision with its reason and who made it, and the
 * reports made to the ICO. Changes are appended as events; nothing is overwritten. Reading the
 * register is in breaches.read.ts, the view of a breach in breaches.view.ts.
 *
 * Like the register: each function takes the context and an actor, authorises, works inside
 * writeTx and audits in the same transaction. Audit entries name the breach and event and carry a
 * digest of the encrypted content, never the text.
 */
import type { z } from 'zod';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor, type Permission } from '../auth/roles.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { policyIndex } from '../policy/policy.index.js';
import { StewardError } from '../shared/errors.js';
import { formatUk, parseInstant } from './breaches.clock.js';
import {
  assessInput,
  closeInput,
  decideInput,
  factsUpdateInput,
  firstIcoReport,
  foldEvents,
  icoReportInput,
  noteInput,
  openInput,
  type AssessInput,
  type BreachFacts,
  type BreachState,
  type ContactPoint,
  type DecideInput,
  type EventData,
  type FactsUpdateInput,
  type IcoReportInput,
  type OpenInput,
} from './breaches.events.js';
import { appendEvent, breachKey, breachRow, insertBreach, loadEvents, type BreachRow } from './breaches.store.js';
import { buildView, clockOf, type BreachView } from './breaches.view.js';
import { ciphertextDigest } from '../register/record.codec.js';
/** A few minutes' grace for times typed as "now" on a machine whose clock runs a little ahead. */
const FUTURE_GRACE_MS = 5 * 60_000;

// ——— validation ———

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, where = 'request'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const details = r.error.issues.slice(0, 20).map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new StewardError('VALIDATION_FAILED', `${details[0]?.path ?? where}: ${details[0]?.message ?? 'invalid'}`, details);
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);
const conflict = (message: string): StewardError => new StewardError('CONFLICT', message);

const TEXT_FIELDS = ['title', 'description', 'descriptionForPeople', 'howDiscovered', 'consequences', 'measuresTaken', 'measuresProposed', 'adviceToPeople'] as const;

function checkDeclared(ctx: AppContext, kind: 'categories' | 'relationships', ids: readonly string[] | undefined): void {
  if (!ids) return;
  const idx = policyIndex(ctx.policy);
  const known = kind === 'categories' ? idx.categories : idx.relationships;
  ids.forEach((id, i) => {
    if (!known.has(id)) throw invalid(`${kind}[${i}]`, `"${id}" is not a ${kind === 'categories' ? 'data category' : 'relationship'} in the declaration`);
  });
}

function checkContactPoint(cp: ContactPoint | undefined): void {
  if (cp?.email !== undefined && !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(cp.email)) throw invalid('contactPoint.email', 'is not an email address');
}

/** Checks facts as a whole: declared ids, no card data, and times in a possible order. */
function checkFacts(ctx: AppContext, f: BreachFacts, now: Date): void {
  checkDeclared(ctx, 'categories', f.categories);
  checkDeclared(ctx, 'relationships', f.relationships);
  checkContactPoint(f.contactPoint);
  assertNoCardData(Object.fromEntries(TEXT_FIELDS.map((k) => [k, f[k]])), { path: 'facts' });
  const latest = now.getTime() + FUTURE_GRACE_MS;
  const t = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
  const aware = t(f.awareAt)!;
  if (aware > latest) throw invalid('awareAt', 'is in the future: the clock starts when the organisation became aware');
  const occurred = t(f.occurredAt);
  if (occurred !== undefined && occurred > aware) throw invalid('occurredAt', 'is after the organisation became aware of the breach');
  const until = t(f.occurredUntil);
  if (until !== undefined && occurred !== undefined && until < occurred) throw invalid('occurredUntil', 'is before the breach began');
  if (until !== undefined && until > latest) throw invalid('occurredUntil', 'is in the future');
  const contained = t(f.containedAt);
  if (contained !== undefined && contained > latest) throw invalid('containedAt', 'is in the future');
  if (contained !== undefined && occurred !== undefined && contained < occurred) throw invalid('containedAt', 'is before the breach began');
}

const time = (v: string | undefined, path: string): string | undefined => (v === undefined ? undefined : parseInstant(v, path));

function factsFrom(input: z.output<typeof openInput>): BreachFacts {
  const facts: BreachFacts = {
    title: input.title,
    awareAt: parseInstant(input.awareAt, 'awareAt'),
    natures: [...new Set(input.natures ?? [])],
    systems: input.systems ?? [],
    categories: [...new Set(input.categories ?? [])],
    relationships: [...new Set(input.relationships ?? [])],
  };
  const optional: Partial<BreachFacts> = {
    description: input.description,
    descriptionForPeople: input.descriptionForPeople,
    howDiscovered: input.howDiscovered,
    occurredAt: time(input.occurredAt, 'occurredAt'),
    occurredUntil: time(input.occurredUntil, 'occurredUntil'),
    containedAt: time(input.containedAt, 'containedAt'),
    approxPeople: input.approxPeople,
    approxRecords: input.approxRecords,
    consequences: input.consequences,
    measuresTaken: input.measuresTaken,
    measuresProposed: input.measuresProposed,
    adviceToPeople: input.adviceToPeople,
    contactPoint: input.contactPoint,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (facts as unknown as Record<string, unknown>)[k] = v;
  return facts;
}

// ——— reporting a breach ———

/** Records a breach. Anyone who may report one (staff too) may do this; the clock starts at awareAt. */
export async function openBreach(ctx: AppContext, actor: Actor, raw: OpenInput): Promise<BreachView> {
  authorise(actor, 'breaches:report');
  const input = parseInput(openInput, raw);
  const now = ctx.clock.now();
  const facts = factsFrom(input);
  checkFacts(ctx, facts, now);
  return writeTx(ctx, async (trx) => {
    const { row, event, digest } = await insertBreach(trx, ctx, actor, facts, now);
    await appendAudit(trx, ctx, actor, [
      { action: 'breach.open', details: { breach: row.id, reference: row.reference, seq: 1, categories: facts.categories, digest: ciphertextDigest(digest) } },
    ]);
    return buildView(ctx, trx, row, [event], now, { history: true });
  });
}

/** Loads, checks the caller's expected version, appends one event and audits it. */
async function change(
  ctx: AppContext,
  actor: Actor,
  id: string,
  permission: Permission,
  expectedVersion: number | undefined,
  action: string,
  build: (state: BreachState, now: Date, row: BreachRow) => EventData,
): Promise<BreachView> {
  authorise(actor, permission);
  const now = ctx.clock.now();
  return writeTx(ctx, async (trx) => {
    const row = await breachRow(trx, id);
    const dek = await breachKey(ctx, row);
    const events = await loadEvents(trx, row, dek);
    const state = foldEvents(events);
    if (expectedVersion !== undefined && expectedVersion !== state.version) {
      throw conflict(`breach ${row.reference} has changed since version ${expectedVersion} (now version ${state.version}): reload it and try again`);
    }
    const data = build(state, now, row);
    if (state.closed && data.type !== 'note' && data.type !== 'reopened') throw conflict(`breach ${row.reference} is closed: reopen it first`);
    const appended = await appendEvent(trx, row, dek, actor, events, data, now.toISOString());
    await appendAudit(trx, ctx, actor, [
      { action, details: { breach: row.id, reference: row.reference, seq: appended.state.version, type: data.type, digest: ciphertextDigest(appended.ciphertext) } },
    ]);
    return buildView(ctx, trx, row, appended.events, now, { history: true });
  });
}

export async function updateFacts(ctx: AppContext, actor: Actor, id: string, raw: FactsUpdateInput): Promise<BreachView> {
  const input = parseInput(factsUpdateInput, raw);
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, 'breach.update', (state, now) => {
    const changes: Partial<BreachFacts> = {};
    const cleared: Array<keyof BreachFacts> = [];
    const set = <K extends keyof BreachFacts>(k: K, v: BreachFacts[K] | null | undefined) => {
      if (v === undefined) return;
      if (v === null) {
        if (state.facts[k] !== undefined) cleared.push(k);
      } else if (JSON.stringify(v) !== JSON.stringify(state.facts[k])) changes[k] = v;
    };
    set('title', input.title);
    set('description', input.description);
    set('descriptionForPeople', input.descriptionForPeople);
    set('howDiscovered', input.howDiscovered);
    set('occurredAt', input.occurredAt === null ? null : time(input.occurredAt, 'occurredAt'));
    set('occurredUntil', input.occurredUntil === null ? null : time(input.occurredUntil, 'occurredUntil'));
    set('awareAt', time(input.awareAt, 'awareAt'));
    set('containedAt', input.containedAt === null ? null : time(input.containedAt, 'containedAt'));
    set('natures', input.natures ? [...new Set(input.natures)] : undefined);
    set('systems', input.systems);
    set('categories', input.categories ? [...new Set(input.categories)] : undefined);
    set('relationships', input.relationships ? [...new Set(input.relationships)] : undefined);
    set('approxPeople', input.approxPeople);
    set('approxRecords', input.approxRecords);
    set('consequences', input.consequences);
    set('measuresTaken', input.measuresTaken);
    set('measuresProposed', input.measuresProposed);
    set('adviceToPeople', input.adviceToPeople);
    set('contactPoint', input.contactPoint);
    if (Object.keys(changes).length === 0 && cleared.length === 0) throw invalid('request', 'nothing to change: every field given matches what is recorded');
    if (changes.awareAt !== undefined && !input.reason) {
      throw invalid('reason', 'correcting when the organisation became aware moves the 72-hour deadline: say why');
    }
    const merged: BreachFacts = { ...state.facts, ...changes };
    for (const k of cleared) delete (merged as unknown as Record<string, unknown>)[k];
    checkFacts(ctx, merged, now);
    if (input.reason) assertNoCardData({ reason: input.reason });
    return { type: 'facts-updated', changes, cleared, ...(input.reason ? { reason: input.reason } : {}) };
  });
}

export async function assessRisk(ctx: AppContext, actor: Actor, id: string, raw: AssessInput): Promise<BreachView> {
  const input = parseInput(assessInput, raw);
  assertNoCardData({ reasons: input.reasons });
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, 'breach.assess', () => ({
    type: 'risk-assessed',
    level: input.level,
    reasons: input.reasons,
    exemptions: [...new Set(input.exemptions ?? [])],
  }));
}

/**
 * A decision, with its reason and who made it. The law's rules are checked: a breach likely to
 * result in a risk must be reported (Art 33(1)); people facing a high risk must be told unless
 * an Art 34(3) exemption applies, and "disproportionate effort" means a public notice instead.
 */
export async function recordDecision(ctx: AppContext, actor: Actor, id: string, raw: DecideInput): Promise<BreachView> {
  const input = parseInput(decideInput, raw);
  assertNoCardData({ reason: input.reason, decidedBy: input.decidedBy });
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, 'breach.decide', (state) => {
    const risk = state.risk;
    if (input.about === 'ico') {
      if (input.decision === 'public-notice') throw invalid('decision', 'a public notice is a way of telling people, not a report to the ICO: use notify or not-notify');
      if (input.decision === 'not-notify') {
        if (!risk) throw conflict('assess the risk first: a breach may go unreported only if it is unlikely to result in a risk to people (Art 33(1))');
        if (risk.level !== 'unlikely') throw conflict(`the risk is assessed as "${risk.level}": such a breach must be reported to the ICO (Art 33(1))`);
        if (state.icoReports.length > 0) throw conflict('the breach has already been reported to the ICO');
      }
    } else {
      if (!risk) throw conflict('assess the risk first: people must be told when the risk to them is high (Art 34(1))');
      if (input.decision === 'public-notice' && !risk.exemptions.includes('disproportionate')) {
        throw conflict('a public notice replaces telling people one by one only where that would involve disproportionate effort: record that exemption in the risk assessment first (Art 34(3)(c))');
      }
      if (input.decision === 'not-notify' && risk.level === 'high' && !risk.exemptions.some((e) => e === 'encrypted' || e === 'mitigated')) {
        throw conflict(
          'the risk to people is high: they must be told unless the data was unintelligible (encrypted) or later measures removed the high risk; record the exemption in the risk assessment first (Art 34(3))',
        );
      }
    }
    return { type: 'decision', about: input.about, decision: input.decision, reason: input.reason, ...(input.decidedBy ? { decidedBy: input.decidedBy } : {}) };
  });
}

/** Records a report made to the ICO: the first one, then updates as more is known (Art 33(4)). */
export async function recordIcoReport(ctx: AppContext, actor: Actor, id: string, raw: IcoReportInput): Promise<BreachView> {
  const input = parseInput(icoReportInput, raw);
  assertNoCardData({ delayReason: input.delayReason, note: input.note });
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, 'breach.ico-report', (state, now) => {
    const submittedAt = input.submittedAt ? parseInstant(input.submittedAt, 'submittedAt') : now.toISOString();
    if (Date.parse(submittedAt) > now.getTime() + FUTURE_GRACE_MS) throw invalid('submittedAt', 'is in the future: record a report once it has been made');
    if (Date.parse(submittedAt) < Date.parse(state.facts.awareAt)) throw invalid('submittedAt', 'is before the organisation became aware of the breach');
    const first = firstIcoReport(state);
    if (input.phase === 'initial' && first) throw conflict(`the initial report was already made on ${formatUk(first.submittedAt)}: record this one as an update`);
    if (input.phase !== 'initial' && !first) throw conflict('no report has been made to the ICO yet: the first one is the initial report');
    const clock = clockOf(state, now);
    const late = Date.parse(submittedAt) > Date.parse(clock.deadline);
    // Art 33(1): a report after 72 hours is accompanied by the reasons for the delay.
    const delayGiven = state.icoReports.some((r) => r.delayReason !== undefined);
    if (late && !input.delayReason && !delayGiven) {
      throw invalid('delayReason', `the report is made after the 72 hours ended (${clock.deadlineUk}): give the reasons for the delay (Art 33(1))`);
    }
    return {
      type: 'ico-reported',
      phase: input.phase,
      submittedAt,
      late: input.phase === 'initial' ? late : first !== undefined && Date.parse(first.submittedAt) > Date.parse(clock.deadline),
      ...(input.icoReference ? { icoReference: input.icoReference } : {}),
      ...(input.delayReason ? { delayReason: input.delayReason } : {}),
      ...(input.note ? { note: input.note } : {}),
    };
  });
}

export async function addNote(ctx: AppContext, actor: Actor, id: string, raw: z.input<typeof noteInput>): Promise<BreachView> {
  const input = parseInput(noteInput, raw);
  assertNoCardData({ text: input.text });
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, 'breach.note', () => ({ type: 'note', text: input.text }));
}

export async function closeBreach(ctx: AppContext, actor: Actor, id: string, raw: z.input<typeof closeInput>, reopen = false): Promise<BreachView> {
  const input = parseInput(closeInput, raw);
  assertNoCardData({ reason: input.reason });
  return change(ctx, actor, id, 'breaches:manage', input.expectedVersion, reopen ? 'breach.reopen' : 'breach.close', (state) => {
    if (reopen && !state.closed) throw conflict('the breach is open');
    if (!reopen && state.closed) throw conflict('the breach is already closed');
    if (!reopen && state.decisions.ico === null && state.icoReports.length === 0) {
      throw conflict('record the decision on reporting to the ICO (with its reason) before closing: every decision not to report must be documented (Art 33(5))');
    }
    return reopen ? { type: 'reopened', reason: input.reason } : { type: 'closed', reason: input.reason };
  });
}
