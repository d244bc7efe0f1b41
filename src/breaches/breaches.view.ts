/**
 * A breach as the services return it (BreachView): its events folded into the state, the
 * 72-hour clock, the contact point, who has been told, the reminders sent and, on request, the
 * history with the names of those who made each step.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { declaredContactPoint } from '../policy/contacts.js';
import { breachClock, formatUk, type BreachClock } from './breaches.clock.js';
import { describeEvent, firstIcoReport, foldEvents, type BreachEvent, type BreachFacts, type BreachState, type ContactPoint, type EventData } from './breaches.events.js';
import type { BreachRow } from './breaches.store.js';
import { usernames } from '../auth/auth.service.js';

export interface HistoryEntry {
  seq: number;
  at: string;
  atUk: string;
  actor: string;
  /** The Steward user's name when the actor is a user (on the web or through the CLI's --as); else the actor id. */
  actorName: string;
  actorRole: string | null;
  type: EventData['type'];
  summary: string;
  data: EventData;
}

export interface NotificationSummary {
  email: { sent: number; failed: number; noAddress: number };
  post: { exported: number };
  /** People affected who have not yet been sent an email or had a letter exported. */
  notYetTold: number;
}

export interface BreachView {
  id: string;
  reference: string;
  status: 'open' | 'closed';
  state: BreachState;
  clock: BreachClock;
  contactPoint: ContactPoint & { kind: string };
  notifications: NotificationSummary;
  /** Reminders to the privacy officer as the 72 hours run out, oldest first. */
  reminders: Array<{ stage: string; status: string; dueAt: string; sentAt: string | null }>;
  /** Set when the view is of the breach as known at an earlier moment. */
  asOf: string | null;
  history?: HistoryEntry[];
}

export function clockOf(state: BreachState, now: Date): BreachClock {
  const first = firstIcoReport(state);
  return breachClock(
    {
      awareAt: state.facts.awareAt,
      reportedAt: first?.submittedAt ?? null,
      notRequired: state.decisions.ico?.decision === 'not-notify',
      delayReasonGiven: state.icoReports.some((r) => r.delayReason !== undefined),
    },
    now,
  );
}

/** The contact point for the ICO and for people (Art 33(3)(b)): as given, else the declaration's. */
export function contactPointFor(ctx: AppContext, facts: BreachFacts): ContactPoint & { kind: string } {
  const declared = declaredContactPoint(ctx.policy.policy);
  if (!facts.contactPoint) return declared;
  return { ...declared, kind: 'Contact point', ...facts.contactPoint };
}

export async function notificationSummary(db: Kysely<Tables>, breachId: string): Promise<NotificationSummary> {
  const rows = await db.selectFrom('breach_notifications').select(['subject_id', 'channel', 'status', 'at']).where('breach_id', '=', breachId).orderBy('at').orderBy('id').execute();
  const latest = new Map<string, string>();
  const told = new Set<string>();
  for (const r of rows) {
    latest.set(`${r.channel}\u0000${r.subject_id}`, r.status);
    if (r.status === 'sent' || r.status === 'exported') told.add(r.subject_id);
  }
  const linked = (await db.selectFrom('breach_subjects').select('subject_id').where('breach_id', '=', breachId).execute()).map((r) => r.subject_id);
  const out: NotificationSummary = { email: { sent: 0, failed: 0, noAddress: 0 }, post: { exported: 0 }, notYetTold: 0 };
  for (const [key, status] of latest) {
    if (key.startsWith('email')) {
      if (status === 'sent') out.email.sent++;
      else if (status === 'failed') out.email.failed++;
      else if (status === 'no-address') out.email.noAddress++;
    } else if (status === 'exported') out.post.exported++;
  }
  out.notYetTold = linked.filter((s) => !told.has(s)).length;
  return out;
}

async function history(db: Kysely<Tables>, events: readonly BreachEvent[], asOf?: string): Promise<HistoryEntry[]> {
  const limit = asOf ? Date.parse(asOf) : Number.POSITIVE_INFINITY;
  const shown = events.filter((e) => e.seq === 1 || Date.parse(e.at) <= limit);
  // Who did each step, by name: staff names are not data subjects' data.
  const ids = [...new Set(shown.map((e) => e.actor))];
  const names = new Map((await usernames(db, ids)).map((u) => [u.id, u.username]));
  return shown.map((e) => ({
    seq: e.seq,
    at: e.at,
    atUk: formatUk(e.at),
    actor: e.actor,
    actorName: names.get(e.actor) ?? e.actor,
    actorRole: e.actorRole,
    type: e.data.type,
    summary: describeEvent(e.data),
    data: e.data,
  }));
}

export async function buildView(
  ctx: AppContext,
  db: Kysely<Tables>,
  row: BreachRow,
  events: readonly BreachEvent[],
  now: Date,
  opts: { history?: boolean; asOf?: string } = {},
): Promise<BreachView> {
  const state = foldEvents(events, opts.asOf);
  return {
    id: row.id,
    reference: row.reference,
    status: state.closed ? 'closed' : 'open',
    state,
    clock: clockOf(state, opts.asOf ? new Date(opts.asOf) : now),
    contactPoint: contactPointFor(ctx, state.facts),
    notifications: await notificationSummary(db, row.id),
    reminders: (await db.selectFrom('breach_reminders').select(['stage', 'status', 'due_at', 'sent_at']).where('breach_id', '=', row.id).orderBy('due_at').execute()).map((r) => ({
      stage: r.stage,
      status: r.status,
      dueAt: r.due_at,
      sentAt: r.sent_at,
    })),
    asOf: opts.asOf ?? null,
    ...(opts.history ? { history: await history(db, events, opts.asOf) } : {}),
  };
}
