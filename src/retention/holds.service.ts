/**
 * Legal holds: data that must be kept beyond its retention because of a claim, an investigation or
 * a regulator's request. A hold covers a subject, a relationship or a category — or any
 * combination, which narrows it ("this customer's call recordings"). Held data is never deleted or
 * anonymised; releasing the hold (or its expiry day passing) lets due retention run at the next
 * run. The reason is stored with the hold, never in the audit trail: write a case reference.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { parseCalendarDate, toCalendarDate, type CalendarDate } from './duration.js';
import type { RetentionModel } from './retention.engine.js';
import './retention.tables.js';
import { policyIndex } from '../policy/policy.index.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { subjectState } from '../register/register.repository.js';

export const HOLD_REASON_MAX = 1000;

export interface HoldInput {
  subjectId?: string;
  relationship?: string;
  category?: string;
  reason: string;
  /** When the hold is next looked at (YYYY-MM-DD). */
  reviewOn: string;
  /** Optional day the hold lapses by itself (YYYY-MM-DD). */
  expiresOn?: string;
}

export interface Hold {
  id: string;
  subjectId: string | null;
  relationship: string | null;
  category: string | null;
  reason: string;
  placedBy: string;
  placedAt: string;
  reviewOn: CalendarDate;
  expiresOn: CalendarDate | null;
  releasedAt: string | null;
  releasedBy: string | null;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

export const toHold = (r: Tables['legal_holds']): Hold => ({
  id: r.id,
  subjectId: r.subject_id,
  relationship: r.relationship,
  category: r.category,
  reason: r.reason,
  placedBy: r.placed_by,
  placedAt: r.placed_at,
  reviewOn: r.review_on,
  expiresOn: r.expires_on,
  releasedAt: r.released_at,
  releasedBy: r.released_by,
});

/** Whether a hold applies on a day: not released, and not past its expiry day. */
export const holdActive = (h: Pick<Tables['legal_holds'], 'released_at' | 'expires_on'>, day: CalendarDate): boolean =>
  h.released_at === null && (h.expires_on === null || h.expires_on > day);

/** The scope in words, for lists and messages (ids only). */
export const holdScope = (h: Pick<Hold, 'subjectId' | 'relationship' | 'category'>): string =>
  [h.subjectId ? `subject ${h.subjectId}` : undefined, h.relationship ? `relationship ${h.relationship}` : undefined, h.category ? `category ${h.category}` : undefined]
    .filter(Boolean)
    .join(', ');

export async function placeHold(ctx: AppContext, actor: Actor, input: HoldInput): Promise<Hold> {
  authorise(actor, 'retention:manage');
  const idx = policyIndex(ctx.policy);
  if (!input.subjectId && !input.relationship && !input.category) throw invalid('scope', 'say what the hold covers: a subject, a relationship, a category, or a combination');
  if (input.relationship !== undefined && !idx.relationships.has(input.relationship)) throw invalid('relationship', `"${input.relationship.slice(0, 64)}" is not a relationship in the declaration`);
  if (input.category !== undefined && !idx.categories.has(input.category)) throw invalid('category', `"${input.category.slice(0, 64)}" is not a data category in the declaration`);
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason === '') throw invalid('reason', 'say why the data is held (a case or matter reference)');
  if (reason.length > HOLD_REASON_MAX) throw invalid('reason', `is longer than ${HOLD_REASON_MAX} characters`);
  const today = toCalendarDate(ctx.clock.now());
  const reviewOn = parseCalendarDate(input.reviewOn, 'reviewOn');
  if (reviewOn < today) throw invalid('reviewOn', `is in the past; a hold is reviewed on or after today (${today})`);
  const expiresOn = input.expiresOn === undefined ? null : parseCalendarDate(input.expiresOn, 'expiresOn');
  if (expiresOn !== null && expiresOn <= today) throw invalid('expiresOn', `must be after today (${today})`);
  const now = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    if (input.subjectId !== undefined) {
      const s = await subjectState(trx, input.subjectId);
      if (!s) throw notFound('subject', input.subjectId);
      if (s.erasedAt) throw new StewardError('CONFLICT', `subject ${input.subjectId} has been erased: there is nothing left to hold`);
    }
    const row: Tables['legal_holds'] = {
      id: newId(),
      subject_id: input.subjectId ?? null,
      relationship: input.relationship ?? null,
      category: input.category ?? null,
      reason,
      placed_by: actor.id,
      placed_at: now,
      review_on: reviewOn,
      expires_on: expiresOn,
      released_at: null,
      released_by: null,
      release_reason: null,
    };
    await trx.insertInto('legal_holds').values(row).execute();
    await appendAudit(trx, ctx, actor, [
      {
        action: 'retention.hold.place',
        ...(row.subject_id ? { subjectId: row.subject_id } : {}),
        details: { hold: row.id, relationship: row.relationship, category: row.category, reviewOn, expiresOn },
      },
    ]);
    return toHold(row);
  });
}

export async function releaseHold(ctx: AppContext, actor: Actor, id: string, reason?: string): Promise<Hold> {
  authorise(actor, 'retention:manage');
  if (reason !== undefined && reason.length > HOLD_REASON_MAX) throw invalid('reason', `is longer than ${HOLD_REASON_MAX} characters`);
  const now = ctx.clock.now().toISOString();
  return writeTx(ctx, async (trx) => {
    const row = await trx.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('hold', id);
    if (row.released_at) throw new StewardError('CONFLICT', `hold ${id} was already released on ${row.released_at.slice(0, 10)}`);
    const released = { released_at: now, released_by: actor.id, release_reason: reason?.trim() || null };
    await trx.updateTable('legal_holds').set(released).where('id', '=', id).execute();
    await appendAudit(trx, ctx, actor, [{ action: 'retention.hold.release', ...(row.subject_id ? { subjectId: row.subject_id } : {}), details: { hold: id } }]);
    return toHold({ ...row, ...released });
  });
}

export async function listHolds(ctx: AppContext, actor: Actor, opts: { all?: boolean } = {}): Promise<Hold[]> {
  authorise(actor, 'retention:read');
  let q = ctx.database.db.selectFrom('legal_holds').selectAll().orderBy('placed_at').orderBy('id');
  if (!opts.all) q = q.where('released_at', 'is', null);
  return (await q.execute()).map(toHold);
}

export async function getHold(ctx: AppContext, actor: Actor, id: string): Promise<Hold> {
  authorise(actor, 'retention:read');
  const row = await ctx.database.db.selectFrom('legal_holds').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('hold', id);
  return toHold(row);
}

/** Every hold not released (active or lapsed), for a plan or a run. */
export async function unreleasedHolds(db: Kysely<Tables>): Promise<Array<Tables['legal_holds']>> {
  return db.selectFrom('legal_holds').selectAll().where('released_at', 'is', null).orderBy('placed_at').orderBy('id').execute();
}

/**
 * The holds covering a record: each given part of a hold's scope must match — the subject, the
 * record's category, and a relationship the subject has that one of the record's purposes serves.
 */
export function holdsCovering(
  holds: ReadonlyArray<Tables['legal_holds']>,
  model: RetentionModel,
  record: { subjectId: string; category: string; purposes: string },
  subjectRelationships: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const h of holds) {
    if (h.subject_id !== null && h.subject_id !== record.subjectId) continue;
    if (h.category !== null && h.category !== record.category) continue;
    if (h.relationship !== null) {
      const rel = h.relationship;
      if (!subjectRelationships.has(rel)) continue;
      const serves = model.purposeIds(record.purposes).some((p) => model.purposes.get(p)?.relationships.has(rel) ?? false);
      if (!serves) continue;
    }
    out.push(h.id);
  }
  return out;
}
