/**
 * Life events: what happened in a subject's life that starts or ends a retention period — a
 * contract ended, an account closed, an enquiry made, a recruitment concluded. Recorded through
 * the API and the CLI, and by the features that cause them (recordLifeEvents inside their own
 * transaction). Back-dated events are allowed: a contract end learned of later still counts from
 * the day it happened, and the next plan or run recomputes every end from it.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, can, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { addDurationClamped, durationOf, toCalendarDate, type CalendarDate } from './duration.js';
import { EVENT_TYPES } from './retention.engine.js';
import './retention.tables.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { relationshipsOf, subjectExists, subjectState } from '../register/register.repository.js';

export { EVENT_TYPES, RECORD_TRIGGERS, REOPENED_BY } from './retention.engine.js';

export const isEventType = (s: string): boolean => EVENT_TYPES.includes(s);

/** Earliest and latest day an event may carry: typos like 0206 or 20260 are refused. */
const EARLIEST = '1900-01-01';
const LATEST = '2199-12-31';

export interface LifeEventInput {
  subjectId: string;
  type: string;
  /** YYYY-MM-DD, or an ISO 8601 timestamp (its UTC day is kept). */
  date: string;
  relationship?: string;
  /** "api", "cli", or the feature recording it. */
  origin?: string;
}

export type LifeEventStatus = 'active' | 'pending' | 'rejected';

export interface LifeEvent {
  id: string;
  subjectId: string;
  type: string;
  date: CalendarDate;
  relationship: string | null;
  recordedBy: string;
  recordedAt: string;
  origin: string;
  status: LifeEventStatus;
  /** A pending event takes effect by itself on this day; null when only approval will do. */
  pendingUntil: CalendarDate | null;
  reviewedBy: string | null;
  reviewedAt: string | null;
}

/**
 * Events recorded by someone who may not erase (staff) can still make retention delete data: an
 * `account-closed` dated 2001 ends a six-year period at once. So such events wait for a privacy
 * officer (issue 12): one dated more than BACKDATED_DAYS before the day it is recorded takes effect
 * only once approved; a recent one takes effect by itself after WAIT_DAYS, unless approved or
 * rejected sooner. Events recorded by the privacy roles (dpo, owner), the console and Steward's own
 * features take effect at once.
 */
export const BACKDATED_DAYS = 30;
export const WAIT_DAYS = 7;

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

export const toLifeEvent = (r: Tables['life_events']): LifeEvent => ({
  id: r.id,
  subjectId: r.subject_id,
  type: r.type,
  date: r.occurred_on,
  relationship: r.relationship,
  recordedBy: r.recorded_by,
  recordedAt: r.recorded_at,
  origin: r.origin,
  status: r.status,
  pendingUntil: r.pending_until,
  reviewedBy: r.reviewed_by,
  reviewedAt: r.reviewed_at,
});

function eventDate(raw: string, path: string): CalendarDate {
  let date: CalendarDate;
  try {
    date = toCalendarDate(raw);
  } catch {
    throw invalid(path, 'is not a date: use YYYY-MM-DD');
  }
  if (date < EARLIEST || date > LATEST) throw invalid(path, `must be between ${EARLIEST} and ${LATEST}`);
  return date;
}

/**
 * Records events inside the caller's write transaction (which has taken the write lock) and
 * audits them there. For features that cause events (consent, accounts): call this in the same
 * transaction as the change, so the event and its cause commit together.
 */
export async function recordLifeEvents(trx: Kysely<Tables>, ctx: AppContext, actor: Actor, inputs: readonly LifeEventInput[]): Promise<LifeEvent[]> {
  if (inputs.length === 0) return [];
  const relationships = policyIndex(ctx.policy).relationships;
  const now = ctx.clock.now().toISOString();
  const today = toCalendarDate(ctx.clock.now());
  const trusted = can(actor, 'retention:manage');
  const backdatedBefore = addDurationClamped(today, durationOf(`${BACKDATED_DAYS} days`), -1);
  const waitUntil = addDurationClamped(today, durationOf(`${WAIT_DAYS} days`));
  const rows: Array<Tables['life_events']> = [];
  const subjects = new Map<string, Set<string>>();
  for (const [i, input] of inputs.entries()) {
    const at = inputs.length === 1 ? '' : `events[${i}].`;
    if (!isEventType(input.type)) throw invalid(`${at}type`, `"${String(input.type).slice(0, 40)}" is not an event type (one of: ${EVENT_TYPES.join(', ')})`);
    const date = eventDate(input.date, `${at}date`);
    let rels = subjects.get(input.subjectId);
    if (!rels) {
      const subject = await subjectState(trx, input.subjectId);
      if (!subject) throw notFound('subject', input.subjectId);
      if (subject.erasedAt) throw new StewardError('CONFLICT', `subject ${input.subjectId} has been erased`);
      rels = new Set(await relationshipsOf(trx, input.subjectId));
      subjects.set(input.subjectId, rels);
    }
    if (input.relationship !== undefined) {
      if (!relationships.has(input.relationship)) throw invalid(`${at}relationship`, `"${String(input.relationship).slice(0, 64)}" is not a relationship in the declaration`);
      if (!rels.has(input.relationship)) throw invalid(`${at}relationship`, `subject ${input.subjectId} has no "${input.relationship}" relationship (it has: ${[...rels].join(', ') || 'none'})`);
    }
    rows.push({
      id: newId(),
      subject_id: input.subjectId,
      type: input.type,
      occurred_on: date,
      relationship: input.relationship ?? null,
      recorded_by: actor.id,
      recorded_at: now,
      origin: input.origin ?? 'api',
      status: trusted ? 'active' : 'pending',
      pending_until: trusted || date < backdatedBefore ? null : waitUntil,
      reviewed_by: null,
      reviewed_at: null,
    });
  }
  for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('life_events').values(rows.slice(i, i + 1000)).execute();
  // The audit names the kind of event, not its date: ids and kinds only.
  await appendAudit(
    trx,
    ctx,
    actor,
    rows.map((r) => ({ action: 'retention.event.add', subjectId: r.subject_id, details: { event: r.id, type: r.type, relationship: r.relationship, origin: r.origin, status: r.status } })),
  );
  return rows.map(toLifeEvent);
}

/** Records one event (API, CLI). Staff may record events: they are facts of the relationship. */
export async function addLifeEvent(ctx: AppContext, actor: Actor, input: LifeEventInput): Promise<LifeEvent> {
  authorise(actor, 'subjects:write');
  return writeTx(ctx, async (trx) => (await recordLifeEvents(trx, ctx, actor, [input]))[0]!);
}

export async function listLifeEvents(ctx: AppContext, actor: Actor, subjectId: string): Promise<LifeEvent[]> {
  authorise(actor, 'subjects:read');
  if (!(await subjectExists(ctx.database.db, subjectId))) throw notFound('subject', subjectId);
  const rows = await ctx.database.db.selectFrom('life_events').selectAll().where('subject_id', '=', subjectId).orderBy('occurred_on').orderBy('id').execute();
  return rows.map(toLifeEvent);
}

/**
 * Withdraws an event recorded by mistake (a wrong contract end would delete data early). Only the
 * privacy roles may, and the audit keeps the fact that it was withdrawn.
 */
export async function removeLifeEvent(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  authorise(actor, 'retention:manage');
  await writeTx(ctx, async (trx) => {
    const row = await trx.selectFrom('life_events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('event', id);
    await trx.deleteFrom('life_events').where('id', '=', id).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'retention.event.remove', subjectId: row.subject_id, details: { event: id, type: row.type } }]);
  });
}

/**
 * Events waiting for a privacy officer, oldest first: those that need approval, and those still in
 * their waiting days on `asOf` (today unless given).
 */
export async function pendingLifeEvents(ctx: AppContext, actor: Actor, opts: { asOf?: CalendarDate; limit?: number } = {}): Promise<LifeEvent[]> {
  authorise(actor, 'retention:read');
  const day = opts.asOf ?? toCalendarDate(ctx.clock.now());
  const rows = await ctx.database.db
    .selectFrom('life_events')
    .selectAll()
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('pending_until', 'is', null), eb('pending_until', '>', day)]))
    .orderBy('recorded_at')
    .orderBy('id')
    .limit(Math.max(1, Math.min(opts.limit ?? 1000, 10_000)))
    .execute();
  return rows.map(toLifeEvent);
}

/**
 * A privacy officer's decision on a pending event: approved, it takes effect now (the next run
 * acts on it); rejected, it never does, and stays listed with who rejected it. Audited.
 */
export async function reviewLifeEvent(ctx: AppContext, actor: Actor, id: string, decision: 'approve' | 'reject'): Promise<LifeEvent> {
  authorise(actor, 'retention:manage');
  return writeTx(ctx, async (trx) => {
    const row = await trx.selectFrom('life_events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('event', id);
    if (row.status !== 'pending') throw new StewardError('CONFLICT', `event ${id} is ${row.status === 'active' ? 'already in effect' : 'rejected'}: only a pending event can be approved or rejected`);
    const now = ctx.clock.now().toISOString();
    const change = { status: decision === 'approve' ? ('active' as const) : ('rejected' as const), reviewed_by: actor.id, reviewed_at: now };
    await trx.updateTable('life_events').set(change).where('id', '=', id).execute();
    await appendAudit(trx, ctx, actor, [{ action: decision === 'approve' ? 'retention.event.approve' : 'retention.event.reject', subjectId: row.subject_id, details: { event: id, type: row.type } }]);
    return toLifeEvent({ ...row, ...change });
  });
}
