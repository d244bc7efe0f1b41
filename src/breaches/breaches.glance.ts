/**
 * Breaches at a glance, for the dashboard: the open ones by deadline, and whether each one reported
 * to the ICO was reported before its 72-hour deadline (the first "ico-reported" event counts).
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.js';

export interface OpenBreachRow { id: string; reference: string; risk: string | null; icoState: string; deadlineAt: string }

export interface BreachesGlance {
  /** The first 50 open breaches, soonest deadline first. */
  open: OpenBreachRow[];
  reported: number;
  reportedInTime: number;
  /** Open, past 72 hours, with neither a report nor a decision not to report. */
  pastDeadlineUndecided: number;
}

export async function breachesAtAGlance(db: DB, now: Date): Promise<BreachesGlance> {
  const rows = await db.selectFrom('breaches').select(['id', 'reference', 'risk', 'ico_state', 'deadline_at']).where('status', '=', 'open').orderBy('deadline_at').limit(50).execute();
  const reported = await db
    .selectFrom('breaches')
    .innerJoin('breach_events', 'breach_events.breach_id', 'breaches.id')
    .select(['breaches.id', 'breaches.deadline_at', sql<string>`min(breach_events.at)`.as('first_report')])
    .where('breaches.ico_state', '=', 'reported')
    .where('breach_events.type', '=', 'ico-reported')
    .groupBy(['breaches.id', 'breaches.deadline_at'])
    .execute();
  const [missed] = await db
    .selectFrom('breaches')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', 'open')
    .where('ico_state', '=', 'pending')
    .where('deadline_at', '<', now.toISOString())
    .execute();
  return {
    open: rows.map((b) => ({ id: b.id, reference: b.reference, risk: b.risk, icoState: b.ico_state, deadlineAt: b.deadline_at })),
    reported: reported.length,
    reportedInTime: reported.filter((r) => r.first_report <= r.deadline_at).length,
    pastDeadlineUndecided: Number(missed?.n ?? 0),
  };
}
