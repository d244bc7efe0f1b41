/** Consent at a glance, for the dashboard: active consents expiring soon, and those already lapsed. */
import { sql } from 'kysely';
import type { DB } from '../db/database.js';

/** Active consents expiring between now and the end of `aheadDay`, and active ones already past expiry. */
export async function consentExpiries(db: DB, now: Date, aheadDay: string): Promise<{ expiringSoon: number; lapsedButActive: number }> {
  const count = sql<number>`count(*)`.as('n');
  const nowIso = now.toISOString();
  const [due] = await db.selectFrom('consent_state').select(count).where('status', '=', 'active').where('expires_at', '>=', nowIso).where('expires_at', '<=', `${aheadDay}T23:59:59.999Z`).execute();
  const [lapsed] = await db.selectFrom('consent_state').select(count).where('status', '=', 'active').where('expires_at', '<', nowIso).execute();
  return { expiringSoon: Number(due?.n ?? 0), lapsedButActive: Number(lapsed?.n ?? 0) };
}
