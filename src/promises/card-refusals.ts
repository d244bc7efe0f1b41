/**
 * The count behind "card numbers refused" on the promises board. Card data is refused inside the
 * domain (assertNoCardData, in the transaction that would have stored it), so the transaction rolls
 * back; the count is taken afterwards at the edge that saw the refusal (the HTTP error handler, the
 * public form, the CLI, each refused import row), in its own small write.
 *
 * Only a day, a way in and a number are kept: nothing about the value, the field or the person.
 */
import { sql, type Kysely } from 'kysely';
import { isCardDataRefusal } from '../crypto/card-detect.js';
import type { Tables } from '../db/tables.js';

declare module '../db/tables.js' {
  interface Tables {
    card_refusals: { day: string; source: string; refusals: number };
  }
}

export const CARD_REFUSAL_SOURCES = ['api', 'public-form', 'cli', 'import'] as const;
export type CardRefusalSource = (typeof CARD_REFUSAL_SOURCES)[number];

/** Adds `n` refusals seen today through `source`. Never throws: a failed count must not hide the refusal itself. */
export async function countCardRefusals(db: Kysely<Tables>, source: CardRefusalSource, now: Date, n = 1): Promise<void> {
  if (n <= 0) return;
  try {
    await db
      .insertInto('card_refusals')
      .values({ day: now.toISOString().slice(0, 10), source, refusals: n })
      .onConflict((oc) => oc.columns(['day', 'source']).doUpdateSet((eb) => ({ refusals: eb('card_refusals.refusals', '+', n) })))
      .execute();
  } catch {
    // The database may be the reason the request failed; the refusal stands either way.
  }
}

/** countCardRefusals for an error, if it is a card-data refusal. */
export async function countIfCardRefusal(db: Kysely<Tables>, source: CardRefusalSource, now: Date, e: unknown): Promise<void> {
  if (isCardDataRefusal(e)) await countCardRefusals(db, source, now);
}

/** Refusals from `fromDay` (YYYY-MM-DD) on, in total and by way in. */
export async function cardRefusalsSince(db: Kysely<Tables>, fromDay: string): Promise<{ total: number; bySource: Partial<Record<CardRefusalSource, number>> }> {
  const rows = await db
    .selectFrom('card_refusals')
    .select(['source', sql<number>`sum(refusals)`.as('n')])
    .where('day', '>=', fromDay)
    .groupBy('source')
    .execute();
  const bySource: Partial<Record<CardRefusalSource, number>> = {};
  let total = 0;
  for (const r of rows) {
    const n = Number(r.n);
    bySource[r.source as CardRefusalSource] = n;
    total += n;
  }
  return { total, bySource };
}
