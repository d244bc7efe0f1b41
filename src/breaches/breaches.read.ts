/**
 * Reading the breach register: one breach (as it stands, or as known at an earlier moment), the
 * list with each clock, and every breach for the export. Reads by people are audited; loadBreach
 * and allBreaches serve the other breach modules, which audit what they do with them.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import { formatUk, parseInstant, type BreachClock } from './breaches.clock.js';
import { foldEvents, type BreachEvent, type BreachState } from './breaches.events.js';
import { breachKey, breachRow, loadEvents, type BreachRow } from './breaches.store.js';
import { buildView, clockOf, type BreachView } from './breaches.view.js';

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/** A breach with its clock and, optionally, its history; `asOf` shows what was known then. */
export async function getBreach(ctx: AppContext, actor: Actor, id: string, opts: { history?: boolean; asOf?: string } = {}): Promise<BreachView> {
  authorise(actor, 'breaches:read');
  const now = ctx.clock.now();
  const asOf = opts.asOf ? parseInstant(opts.asOf, 'asOf') : undefined;
  return writeTx(ctx, async (trx) => {
    const row = await breachRow(trx, id);
    const events = await loadEvents(trx, row, await breachKey(ctx, row));
    if (asOf && Date.parse(asOf) < Date.parse(events[0]!.at)) throw invalid('asOf', `is before the breach was recorded (${formatUk(events[0]!.at)})`);
    const view = await buildView(ctx, trx, row, events, now, { history: opts.history ?? false, asOf });
    await appendAudit(trx, ctx, actor, [{ action: 'breach.read', details: { breach: row.id, reference: row.reference, version: view.state.version, asOf } }]);
    return view;
  });
}

/** The events of a breach for internal use by the other breach modules (no audit of its own). */
export async function loadBreach(ctx: AppContext, db: Kysely<Tables>, id: string): Promise<{ row: BreachRow; dek: Buffer; events: BreachEvent[]; state: BreachState }> {
  const row = await breachRow(db, id);
  const dek = await breachKey(ctx, row);
  const events = await loadEvents(db, row, dek);
  return { row, dek, events, state: foldEvents(events) };
}

export interface BreachSummary {
  id: string;
  reference: string;
  title: string;
  status: 'open' | 'closed';
  awareAt: string;
  clock: BreachClock;
  risk: string | null;
  icoDecision: string | null;
  peopleDecision: string | null;
  peopleAffected: number | null;
  version: number;
  updatedAt: string;
}

export async function listBreaches(
  ctx: AppContext,
  actor: Actor,
  opts: { status?: 'open' | 'closed'; after?: string; limit: number },
): Promise<{ breaches: BreachSummary[]; next: string | null }> {
  authorise(actor, 'breaches:read');
  const now = ctx.clock.now();
  return writeTx(ctx, async (trx) => {
    let q = trx.selectFrom('breaches').selectAll().orderBy('id', 'desc').limit(opts.limit + 1);
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.after) q = q.where('id', '<', opts.after);
    const rows = await q.execute();
    const page = rows.slice(0, opts.limit);
    const out: BreachSummary[] = [];
    for (const row of page) {
      const state = foldEvents(await loadEvents(trx, row, await breachKey(ctx, row)));
      out.push(summaryOf(row, state, now));
    }
    await appendAudit(trx, ctx, actor, [{ action: 'breach.list', details: { status: opts.status ?? null, count: out.length } }]);
    return { breaches: out, next: rows.length > opts.limit ? page[page.length - 1]!.id : null };
  });
}

export function summaryOf(row: BreachRow, state: BreachState, now: Date): BreachSummary {
  return {
    id: row.id,
    reference: row.reference,
    title: state.facts.title,
    status: state.closed ? 'closed' : 'open',
    awareAt: state.facts.awareAt,
    clock: clockOf(state, now),
    risk: state.risk?.level ?? null,
    icoDecision: state.decisions.ico?.decision ?? null,
    peopleDecision: state.decisions.people?.decision ?? null,
    peopleAffected: state.affected?.people ?? null,
    version: state.version,
    updatedAt: state.updatedAt,
  };
}

/** Every breach, oldest first, for the register export; the caller audits. */
export async function* allBreaches(ctx: AppContext, db: Kysely<Tables>): AsyncGenerator<{ row: BreachRow; state: BreachState; events: BreachEvent[] }> {
  let after = '';
  for (;;) {
    const rows = await db.selectFrom('breaches').selectAll().where('id', '>', after).orderBy('id').limit(200).execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      const events = await loadEvents(db, row, await breachKey(ctx, row));
      yield { row, state: foldEvents(events), events };
    }
    after = rows[rows.length - 1]!.id;
  }
}
