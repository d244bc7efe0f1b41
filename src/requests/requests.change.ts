/**
 * The one write path of a request after it is opened. `changeRequest` is one write transaction
 * that re-reads the row, applies the change to the encrypted document, recomputes the clock,
 * appends the history event and the audit entry (ids, dates, counts and enum values only), and
 * then, after commit, sends any letter.
 */
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, type Actor, type Permission } from '../auth/roles.js';
import type { Tables } from '../db/tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { isStewardError, StewardError } from '../shared/errors.js';
import { identityRule } from './requests.checks.js';
import { clockColumns, ukToday } from './requests.clock.js';
import { renderLetter, type LetterKind } from './requests.letters.js';
import { appendRequestEvent, AWAITING_START, CLOSED, openDoc, requestKey, requestRow, sealDoc, type EventDetails, type LetterEntry, type RequestDoc, type RequestRow } from './requests.store.js';
import { tasksOf, toView, type RequestView } from './requests.view.js';

export interface Change {
  set?: Partial<
    Pick<RequestRow, 'status' | 'id_received_on' | 'authority_received_on' | 'fee_asked_on' | 'fee_received_on' | 'pauses' | 'extended' | 'subject_id' | 'outcome' | 'closed_at'>
  >;
  event: { type: string; details: EventDetails };
  audit?: Omit<AuditEvent, 'action'> & { action?: string };
  letter?: LetterKind | undefined;
}

export interface ChangeResult {
  view: RequestView;
  letter?: LetterEntry;
}

export interface ChangeOptions {
  /** A closed request may still take this change (a note, an Art 19 task done, a restriction lifted). */
  allowClosed?: boolean;
  /** The version the change was prepared against: refused if the request has moved on since. */
  expectVersion?: number;
  /**
   * A preview: the change is made in full inside its transaction (so the letter reads exactly as
   * it would), then rolled back; nothing is stored or sent.
   */
  preview?: boolean;
}

export type ChangeFn = (row: RequestRow, doc: RequestDoc, trx: Kysely<Tables>, today: string) => Promise<Change> | Change;

/** Carries a previewed change out of the transaction it rolls back. */
class PreviewRollback extends Error {
  constructor(readonly result: ChangeResult) {
    super('preview: rolled back');
  }
}

/** Whether the clock has all it needs to start: identity (as declared) and any authority. */
export function readyToStart(ctx: AppContext, row: Pick<RequestRow, 'id_received_on' | 'authority_needed' | 'authority_received_on'>, doc: RequestDoc): boolean {
  const rule = identityRule(ctx);
  const idOk = rule.required === 0 || (row.id_received_on !== null && doc.identity.length >= rule.required);
  const authOk = row.authority_needed === 0 || row.authority_received_on !== null;
  return idOk && authOk;
}

/**
 * What a request is still waiting for before its clock can start, identity and authority first
 * (they are asked for first and, if never given, end the request), then a fee asked for and not
 * yet received; undefined when nothing is awaited.
 */
function awaiting(ctx: AppContext, row: Pick<RequestRow, 'id_received_on' | 'authority_needed' | 'authority_received_on' | 'fee_asked_on' | 'fee_received_on'>, doc: RequestDoc): 'identity-pending' | 'fee-pending' | undefined {
  if (!readyToStart(ctx, row, doc)) return 'identity-pending';
  if (row.fee_asked_on !== null && row.fee_received_on === null) return 'fee-pending';
  return undefined;
}

export async function changeRequest(ctx: AppContext, actor: Actor, idOrRef: string, permission: Permission, fn: ChangeFn, opts: ChangeOptions = {}): Promise<ChangeResult> {
  authorise(actor, permission);
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const today = ukToday(now);
  let changed: { view: RequestView; letter: LetterEntry | undefined; to: string | undefined };
  try {
    changed = await writeTx(ctx, async (trx) => {
      const row = await requestRow(trx, idOrRef);
      if (CLOSED.has(row.status) && !opts.allowClosed) throw new StewardError('CONFLICT', `request ${row.reference} is ${row.status}: it can no longer be changed`);
      if (opts.expectVersion !== undefined && row.version !== opts.expectVersion) {
        throw new StewardError('CONFLICT', `request ${row.reference} changed while this was being prepared (it is now ${row.status}): look at it again, then retry`);
      }
      const dek = await requestKey(ctx, row);
      const doc = openDoc(dek, row);
      const change = await fn(row, doc, trx, today);
      const next: RequestRow = { ...row, ...change.set, version: row.version + 1, updated_at: nowIso };
      // Evidence or a fee arriving may start the clock, a fee asked for may stop it: the status follows.
      if (AWAITING_START.has(next.status)) next.status = awaiting(ctx, next, doc) ?? (next.extended ? 'extended' : 'open');
      const clock = clockColumns(ctx.policy, next, today);
      let letter: LetterEntry | undefined;
      if (change.letter) {
        const rendered = renderLetter(ctx.policy, change.letter, { ...next, ...clock }, doc, today);
        letter = { kind: change.letter, at: nowIso, subject: rendered.subject, text: rendered.text, html: rendered.html, sentTo: doc.requester.email ? 'email' : 'post' };
        doc.letters.push(letter);
      }
      const payload = sealDoc(dek, row.id, next.version, doc);
      await trx
        .updateTable('requests')
        .set({ ...change.set, status: next.status, ...clock, version: next.version, updated_at: nowIso, payload })
        .where('id', '=', row.id)
        .where('version', '=', row.version)
        .execute();
      await appendRequestEvent(trx, row.id, actor, change.event.type, { ...change.event.details, letter: letter?.kind }, nowIso);
      await appendAudit(trx, ctx, actor, [
        {
          ...change.audit,
          action: change.audit?.action ?? `request.${change.event.type}`,
          subjectId: next.subject_id ?? change.audit?.subjectId,
          details: { request: row.id, reference: row.reference, type: row.type, status: next.status, ...change.audit?.details },
        },
      ]);
      const stored = { ...next, ...clock, payload };
      const view = toView(ctx, stored, doc, await tasksOf(ctx, trx, row.id), today);
      if (opts.preview) throw new PreviewRollback({ view, letter });
      return { view, letter, to: doc.requester.email };
    });
  } catch (e) {
    if (e instanceof PreviewRollback) return e.result;
    throw e;
  }
  const { view, letter, to } = changed;
  if (letter && to) await deliverLetter(ctx, actor, view, letter, to);
  return { view, letter };
}

/** Replies electronically to an electronic request (Art 12(3)); a failure is recorded, not thrown. */
async function deliverLetter(ctx: AppContext, actor: Actor, view: RequestView, letter: LetterEntry, to: string): Promise<void> {
  let messageId: string | undefined;
  let error: string | undefined;
  try {
    messageId = (await ctx.mailer.send({ to, subject: letter.subject, text: letter.text, html: letter.html, headers: { 'X-Steward-Request': view.reference } })).messageId;
  } catch (e) {
    error = isStewardError(e) ? e.code : 'send-failed';
  }
  letter.messageId = messageId;
  await writeTx(ctx, async (trx) => {
    await appendRequestEvent(trx, view.id, actor, messageId ? 'letter-sent' : 'letter-failed', { letter: letter.kind, error }, ctx.clock.now().toISOString());
    await appendAudit(trx, ctx, actor, [{ action: messageId ? 'request.letter.sent' : 'request.letter.failed', details: { request: view.id, letter: letter.kind } }]);
  });
}
