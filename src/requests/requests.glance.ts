/**
 * Rights requests at a glance, for the dashboard: the open ones by due date, and how many of this
 * year's were answered late (closed after the due date in force; dates compare as text, YYYY-MM-DD).
 */
import { sql } from 'kysely';
import type { DB } from '../db/database.js';
import { CLOSED } from './requests.store.js';

export interface OpenRequestRow { id: string; reference: string; type: string; status: string; dueOn: string }

export interface RequestsGlance {
  open: number;
  overdue: number;
  /** The first 50 open requests, soonest due first. */
  list: OpenRequestRow[];
  answeredThisYear: number;
  answeredLateThisYear: number;
}

export async function requestsAtAGlance(db: DB, today: string): Promise<RequestsGlance> {
  const closed = [...CLOSED];
  const yearStart = `${today.slice(0, 4)}-01-01`;
  const count = sql<number>`count(*)`.as('n');
  const rows = await db.selectFrom('requests').select(['id', 'reference', 'type', 'status', 'due_on']).where('status', 'not in', closed).orderBy('due_on').orderBy('reference').limit(50).execute();
  const [open] = await db.selectFrom('requests').select(count).where('status', 'not in', closed).execute();
  const [overdue] = await db.selectFrom('requests').select(count).where('status', 'not in', closed).where('due_on', '<', today).execute();
  const answered = db.selectFrom('requests').select(count).where('status', '=', 'completed').where('closed_at', '>=', yearStart);
  const [all] = await answered.execute();
  const [late] = await answered.where(sql<boolean>`substr(closed_at, 1, 10) > due_on`).execute();
  return {
    open: Number(open?.n ?? 0),
    overdue: Number(overdue?.n ?? 0),
    list: rows.map((r) => ({ id: r.id, reference: r.reference, type: r.type, status: r.status, dueOn: r.due_on })),
    answeredThisYear: Number(all?.n ?? 0),
    answeredLateThisYear: Number(late?.n ?? 0),
  };
}
