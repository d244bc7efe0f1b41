/** Legal holds at a glance, for the dashboard: unreleased holds whose review is due. */
import { sql } from 'kysely';
import type { DB } from '../db/database.js';

/** Unreleased holds to review on or before `ahead`, and those whose review day has passed. */
export async function holdsDueForReview(db: DB, today: string, ahead: string): Promise<{ within: number; overdue: number }> {
  const count = sql<number>`count(*)`.as('n');
  const [soon] = await db.selectFrom('legal_holds').select(count).where('released_at', 'is', null).where('review_on', '<=', ahead).execute();
  const [late] = await db.selectFrom('legal_holds').select(count).where('released_at', 'is', null).where('review_on', '<', today).execute();
  return { within: Number(soon?.n ?? 0), overdue: Number(late?.n ?? 0) };
}
