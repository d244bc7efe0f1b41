/**
 * Rights requests (UK GDPR Arts 12–21) from intake to response: intake by staff or the public
 * privacy centre, identity and authority evidence, matching to the register, the statutory clock
 * (pauses, one extension), refusal and withdrawal. Fulfilment per type is in requests.fulfil.ts.
 *
 * Every change goes through `changeRequest`: one write transaction that re-reads the row, applies
 * the change to the encrypted document, recomputes the clock, appends the history event and the
 * audit entry (ids, dates, counts and enum values only), and then, after commit, sends any letter.
 */
import { versionInForce } from '../policy/publishing.service.js';
import type { Kysely } from 'kysely';
import { appendAudit, type AuditEvent } from '../audit/audit.service.js';
import { authorise, type Actor, type Permission } from '../auth/roles.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import { isIsoDate } from '../deadline/plain-date.js';
import type { Tables } from '../db/tables.js';
import type { Mailer } from '../mail/mailer.js';
import { IDENTITY_EVIDENCE } from '../policy/policy.schema.js';
import { findSubjects } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';
import { type SubjectSummary } from '../register/register.repository.js';
import { isStewardError, notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { clockColumns, parsePauses, requestDeadline, ukToday } from './requests.clock.js';
import { renderLetter, type LetterKind } from './requests.letters.js';
import {
  appendRequestEvent,
  AWAITING_START,
  CLOSED,
  loadRequestEvents,
  newRequestKey,
  nextReference,
  openDoc,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  requestKey,
  requestRow,
  sealDoc,
  type EventDetails,
  type LetterEntry,
  type RequestChannel,
  type RequestDoc,
  type RequestEventView,
  type RequestRow,
  type RequestType,
} from './requests.store.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

export type RequestsContext = AppContext & {
  mailer: Mailer;
  config?: { baseUrl?: string };
  /**
   * A preview: the change is made in full inside its transaction (so the letter reads exactly as
   * it would), then rolled back; nothing is stored or sent.
   */
  preview?: boolean;
};

/** Carries a previewed change out of the transaction it rolls back. */
class PreviewRollback extends Error {
  constructor(readonly result: ChangeResult) {
    super('preview: rolled back');
  }
}

export const LIMITS = { textChars: 5000, nameChars: 200, noteChars: 5000, listMax: 500 };
export const AUTHORITY_EVIDENCE = ['signed-authority', 'power-of-attorney', 'court-order', 'parental-responsibility', 'solicitor-letter'] as const;
export const REFUSAL_REASONS = ['manifestly-unfounded', 'manifestly-excessive', 'identity-not-confirmed', 'exemption', 'no-grounds'] as const;

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);

/**
 * Identity evidence is recorded by kind only. Anything that looks like a document number (a
 * passport or licence number, a National Insurance number, a long run of digits) is refused:
 * the law asks us to check identity, not to keep copies of the documents.
 */
const DOCUMENT_NUMBER = [
  /\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b/i, // National Insurance number
  /\b[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}\b/i, // UK driving licence number
  /\b\d{9}\b/, // UK passport number
  /\d[\d\s-]{7,}\d/, // any long run of digits (account, card, document numbers)
];
export function assertNoDocumentNumbers(value: string | undefined, path: string): void {
  if (value === undefined) return;
  if (DOCUMENT_NUMBER.some((re) => re.test(value))) {
    throw new StewardError('FORBIDDEN_DATA', `${path}: looks like a document or account number; record which kinds of evidence were checked, never their numbers or copies`, [
      { path, message: 'document numbers are not recorded' },
    ]);
  }
}

function checkText(value: string | undefined, path: string, max = LIMITS.textChars): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(path, 'must be text');
  const t = value.trim();
  if (t.length > max) throw invalid(path, `is longer than ${max} characters`);
  // Free text is where a card number slips in ("I paid with 4111…"): never stored.
  assertNoCardData({ [path]: t });
  return t === '' ? undefined : t;
}

function checkDate(value: string | undefined, path: string, today: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isIsoDate(value)) throw invalid(path, 'is not a calendar date written YYYY-MM-DD');
  if (value > today) throw invalid(path, `is in the future (today is ${today})`);
  if (value < '2018-05-25') throw invalid(path, 'is before 25 May 2018, when the UK GDPR rules began');
  return value;
}

const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;

// ——— views ———

export interface RequestView {
  id: string;
  reference: string;
  type: RequestType;
  status: string;
  channel: string;
  receivedOn: string;
  idReceivedOn: string | null;
  authorityNeeded: boolean;
  authorityReceivedOn: string | null;
  /** The day a fee was asked for, while that stands (null: free, or waived). */
  feeAskedOn: string | null;
  feeReceivedOn: string | null;
  clockStarted: boolean;
  start: string;
  dueOn: string;
  firstDueOn: string;
  extensionNoticeDue: string;
  extended: boolean;
  pauses: Array<{ from: string; to: string | null }>;
  rules: string;
  subjectId: string | null;
  outcome: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  overdue: boolean;
  daysLeft: number;
  identityRequired: { required: number; accepted: string[] };
  doc: RequestDoc;
  tasks: TaskView[];
  history?: RequestEventView[];
}

export interface TaskView {
  id: string;
  recipient: string;
  recipientName: string;
  categories: string[];
  action: string;
  status: string;
  doneAt: string | null;
  doneBy: string | null;
  /** logged: the disclosure log shows the data went there; declared-routine: no log, but it routinely receives the category. */
  basis: string | null;
}

export function identityRule(ctx: AppContext): { required: number; accepted: string[] } {
  const id = ctx.policy.policy.rights.identity;
  return { required: id?.required ?? (id && id.accepted.length > 0 ? 1 : 0), accepted: id?.accepted ?? [] };
}

async function tasksOf(ctx: AppContext, db: Kysely<Tables>, requestId: string): Promise<TaskView[]> {
  const names = new Map(ctx.policy.policy.recipients.map((r) => [r.id, r.name]));
  const rows = await db.selectFrom('request_tasks').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('id').execute();
  return rows.map((t) => ({
    id: t.id,
    recipient: t.recipient,
    recipientName: names.get(t.recipient) ?? t.recipient,
    categories: JSON.parse(t.categories) as string[],
    action: t.action,
    status: t.status,
    doneAt: t.done_at,
    doneBy: t.done_by,
    basis: t.basis,
  }));
}

function dayDiff(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export function toView(ctx: AppContext, row: RequestRow, doc: RequestDoc, tasks: TaskView[], today: string): RequestView {
  const r = requestDeadline(ctx.policy, row, today);
  const open = !CLOSED.has(row.status);
  return {
    id: row.id,
    reference: row.reference,
    type: row.type as RequestType,
    status: row.status,
    channel: row.channel,
    receivedOn: row.received_on,
    idReceivedOn: row.id_received_on,
    authorityNeeded: row.authority_needed === 1,
    authorityReceivedOn: row.authority_received_on,
    feeAskedOn: row.fee_asked_on,
    feeReceivedOn: row.fee_received_on,
    clockStarted: !AWAITING_START.has(row.status),
    start: r.start,
    dueOn: r.due,
    firstDueOn: r.firstPeriod.due,
    extensionNoticeDue: r.extension.noticeDue,
    extended: row.extended === 1,
    pauses: parsePauses(row.pauses),
    rules: r.rules.id,
    subjectId: row.subject_id,
    outcome: row.outcome,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    overdue: open && !AWAITING_START.has(row.status) && row.status !== 'paused' && r.due < today,
    daysLeft: dayDiff(today, r.due),
    identityRequired: identityRule(ctx),
    doc,
    tasks,
  };
}

// ——— the one write path ———

export interface Change {
  set?: Partial<
    Pick<RequestRow, 'status' | 'id_received_on' | 'authority_received_on' | 'fee_asked_on' | 'fee_received_on' | 'pauses' | 'extended' | 'subject_id' | 'outcome' | 'closed_at'>
  >;
  event: { type: string; details: EventDetails };
  audit?: Omit<AuditEvent, 'action'> & { action?: string };
  letter?: LetterKind;
}

export interface ChangeResult {
  view: RequestView;
  letter?: LetterEntry;
}

/** Whether the clock has all it needs to start: identity (as declared) and any authority. */
function readyToStart(ctx: AppContext, row: Pick<RequestRow, 'id_received_on' | 'authority_needed' | 'authority_received_on'>, doc: RequestDoc): boolean {
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

export async function changeRequest(
  ctx: RequestsContext,
  actor: Actor,
  idOrRef: string,
  permission: Permission,
  fn: (row: RequestRow, doc: RequestDoc, trx: Kysely<Tables>, today: string) => Promise<Change> | Change,
  opts: { allowClosed?: boolean; expectVersion?: number } = {},
): Promise<ChangeResult> {
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
      await appendRequestEvent(trx, row.id, actor, change.event.type, { ...change.event.details, ...(letter ? { letter: letter.kind } : {}) }, nowIso);
      await appendAudit(trx, ctx, actor, [
        {
          ...(change.audit ?? {}),
          action: change.audit?.action ?? `request.${change.event.type}`,
          ...(next.subject_id ? { subjectId: next.subject_id } : {}),
          details: { request: row.id, reference: row.reference, type: row.type, status: next.status, ...(change.audit?.details ?? {}) },
        },
      ]);
      const stored = { ...next, ...clock, payload };
      const view = toView(ctx, stored, doc, await tasksOf(ctx, trx, row.id), today);
      if (ctx.preview) throw new PreviewRollback({ view, ...(letter ? { letter } : {}) });
      return { view, letter, to: doc.requester.email };
    });
  } catch (e) {
    if (e instanceof PreviewRollback) return e.result;
    throw e;
  }
  const { view, letter, to } = changed;
  if (letter && to) await deliverLetter(ctx, actor, view, letter, to);
  return { view, ...(letter ? { letter } : {}) };
}

/** Replies electronically to an electronic request (Art 12(3)); a failure is recorded, not thrown. */
async function deliverLetter(ctx: RequestsContext, actor: Actor, view: RequestView, letter: LetterEntry, to: string): Promise<void> {
  let messageId: string | undefined;
  let error: string | undefined;
  try {
    messageId = (await ctx.mailer.send({ to, subject: letter.subject, text: letter.text, html: letter.html, headers: { 'X-Steward-Request': view.reference } })).messageId;
  } catch (e) {
    error = isStewardError(e) ? e.code : 'send-failed';
  }
  letter.messageId = messageId;
  await writeTx(ctx, async (trx) => {
    await appendRequestEvent(trx, view.id, actor, messageId ? 'letter-sent' : 'letter-failed', { letter: letter.kind, ...(error ? { error } : {}) }, ctx.clock.now().toISOString());
    await appendAudit(trx, ctx, actor, [{ action: messageId ? 'request.letter.sent' : 'request.letter.failed', details: { request: view.id, letter: letter.kind } }]);
  });
}

// ——— intake ———

export interface OpenInput {
  type: RequestType;
  channel: RequestChannel;
  /** The day it was received (YYYY-MM-DD), any day of the week. Default today. */
  receivedOn?: string;
  requester: { name?: string; email?: string; phone?: string; address?: string };
  representative?: { name: string; acting: string };
  details?: string;
  /** Evidence already checked at intake (e.g. "email-control" from the privacy centre). */
  identity?: string[];
}

export async function openRequest(ctx: RequestsContext, actor: Actor, input: OpenInput): Promise<RequestView> {
  authorise(actor, 'requests:open');
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const today = ukToday(now);
  if (!(REQUEST_TYPES as readonly string[]).includes(input.type)) throw invalid('type', `must be one of ${REQUEST_TYPES.join(', ')}`);
  if (!(REQUEST_CHANNELS as readonly string[]).includes(input.channel)) throw invalid('channel', `must be one of ${REQUEST_CHANNELS.join(', ')}`);
  const receivedOn = checkDate(input.receivedOn, 'receivedOn', today) ?? today;
  const r = input.requester ?? {};
  const requester = {
    ...(checkText(r.name, 'requester.name', LIMITS.nameChars) ? { name: checkText(r.name, 'requester.name', LIMITS.nameChars)! } : {}),
    ...(r.email !== undefined ? { email: r.email.trim() } : {}),
    ...(checkText(r.phone, 'requester.phone', 40) ? { phone: checkText(r.phone, 'requester.phone', 40)! } : {}),
    ...(checkText(r.address, 'requester.address', 1000) ? { address: checkText(r.address, 'requester.address', 1000)! } : {}),
  };
  if (requester.email !== undefined && (!EMAIL.test(requester.email) || requester.email.length > 320)) throw invalid('requester.email', 'is not an email address');
  if (!requester.email && !requester.phone && !requester.address) throw invalid('requester', 'give a way to reply: an email address, a phone number or a postal address');
  const details = checkText(input.details, 'details');
  let representative: RequestDoc['representative'];
  if (input.representative) {
    const name = checkText(input.representative.name, 'representative.name', LIMITS.nameChars);
    const acting = checkText(input.representative.acting, 'representative.acting', LIMITS.nameChars);
    if (!name || !acting) throw invalid('representative', 'give the representative\'s name and in what capacity they act (e.g. "solicitor")');
    representative = { name, acting };
  }
  const rule = identityRule(ctx);
  const evidence = (input.identity ?? []).map((k, i) => checkEvidence(ctx, k, `identity[${i}]`));
  const id = newId();
  const notice = await versionInForce(ctx.database.db, ctx.policy);
  const doc: RequestDoc = {
    requester,
    ...(representative ? { representative } : {}),
    ...(details ? { details } : {}),
    notes: [],
    identity: evidence.map((kind) => ({ kind, checkedBy: actor.id, checkedAt: nowIso, receivedOn })),
    clarifications: [],
    letters: [],
    noticeVersion: { hash: notice.hash, effectiveDate: notice.effectiveDate, published: notice.published },
  };
  const base = {
    received_on: receivedOn,
    id_received_on: rule.required > 0 && evidence.length >= rule.required ? receivedOn : null,
    authority_needed: representative ? 1 : 0,
    authority_received_on: null,
    fee_asked_on: null,
    fee_received_on: null,
    pauses: '[]',
    extended: 0,
  };
  const status = readyToStart(ctx, base, doc) ? 'open' : 'identity-pending';
  const clock = clockColumns(ctx.policy, base, today);
  const { dek, wrapped, kekVersion } = newRequestKey(ctx, id);
  const row = await writeTx(ctx, async (trx) => {
    const row: RequestRow = {
      id,
      reference: await nextReference(trx, today.slice(0, 4)),
      type: input.type,
      status,
      channel: input.channel,
      ...base,
      ...clock,
      subject_id: null,
      outcome: null,
      created_at: nowIso,
      created_by: actor.id,
      updated_at: nowIso,
      closed_at: null,
      version: 1,
      wrapped_key: wrapped,
      kek_version: kekVersion,
      payload: sealDoc(dek, id, 1, doc),
    };
    await trx.insertInto('requests').values(row).execute();
    await appendRequestEvent(trx, id, actor, 'opened', { type: input.type, channel: input.channel, receivedOn, representative: Boolean(representative), evidence }, nowIso);
    await appendAudit(trx, ctx, actor, [{ action: 'request.open', details: { request: id, reference: row.reference, type: input.type, channel: input.channel, status } }]);
    return row;
  });
  return toView(ctx, row, doc, [], today);
}

function checkEvidence(ctx: AppContext, kind: string, path: string): string {
  assertNoDocumentNumbers(kind, path);
  if (!(IDENTITY_EVIDENCE as readonly string[]).includes(kind)) throw invalid(path, `must be one of ${IDENTITY_EVIDENCE.join(', ')}`);
  const accepted = identityRule(ctx).accepted;
  if (accepted.length > 0 && !accepted.includes(kind)) throw invalid(path, `the declaration accepts ${accepted.join(', ')}, not ${kind}`);
  return kind;
}

// ——— identity, authority, matching ———

export interface VerifyInput {
  /** The kinds of evidence checked, e.g. ["passport", "utility-bill"]. */
  evidence?: string[];
  /** For a representative: the kind of authority checked. */
  authority?: string;
  /** The day the evidence arrived (the clock may start then). Default today. */
  receivedOn?: string;
  note?: string;
}

export async function verifyRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: VerifyInput): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    const nowIso = ctx.clock.now().toISOString();
    assertNoDocumentNumbers(input.note, 'note');
    const receivedOn = checkDate(input.receivedOn, 'receivedOn', today) ?? today;
    if (receivedOn < row.received_on) throw invalid('receivedOn', `is before the request was received (${row.received_on})`);
    const evidence = (input.evidence ?? []).map((k, i) => checkEvidence(ctx, k, `evidence[${i}]`));
    if (evidence.length === 0 && !input.authority) throw invalid('evidence', 'say which kinds of evidence were checked');
    const set: Change['set'] = {};
    for (const kind of evidence) if (!doc.identity.some((e) => e.kind === kind)) doc.identity.push({ kind, checkedBy: actor.id, checkedAt: nowIso, receivedOn });
    const rule = identityRule(ctx);
    // The clock waits for identity only when the declaration asks for it: evidence nobody asked
    // for (the declaration requires none) is noted, but must not restart the clock on its arrival.
    if (rule.required > 0 && evidence.length > 0 && doc.identity.length >= rule.required && row.id_received_on === null) set.id_received_on = receivedOn;
    if (input.authority !== undefined) {
      assertNoDocumentNumbers(input.authority, 'authority');
      if (!(AUTHORITY_EVIDENCE as readonly string[]).includes(input.authority)) throw invalid('authority', `must be one of ${AUTHORITY_EVIDENCE.join(', ')}`);
      if (row.authority_needed !== 1) throw invalid('authority', 'the person asked for themselves: no representative\'s authority is needed');
      doc.authority = { kind: input.authority, checkedBy: actor.id, checkedAt: nowIso, receivedOn };
      set.authority_received_on = receivedOn;
    }
    const note = checkText(input.note, 'note', LIMITS.noteChars);
    if (note) doc.notes.push({ at: nowIso, by: actor.id, text: note });
    return {
      set,
      event: { type: 'verified', details: { evidence, authority: input.authority ?? null, receivedOn, identityComplete: doc.identity.length >= rule.required } },
    };
  });
  return view;
}

/** Possible matches in the register by the requester's email and phone (blind indexes), for staff to confirm. */
export async function matchRequest(ctx: RequestsContext, actor: Actor, idOrRef: string): Promise<{ request: RequestView; candidates: SubjectSummary[] }> {
  authorise(actor, 'requests:manage');
  const view = await getRequest(ctx, actor, idOrRef);
  const { email, phone } = view.doc.requester;
  const seen = new Map<string, SubjectSummary>();
  const tryFind = async (q: { email?: string; phone?: string }) => {
    try {
      for (const s of await findSubjects(ctx, actor, q, RIGHTS_REQUEST_PURPOSE)) seen.set(s.id, s);
    } catch (e) {
      // A phone number typed as given may not normalise; that is no match, not an error.
      if (!isStewardError(e) || e.code !== 'VALIDATION_FAILED') throw e;
    }
  };
  if (email) await tryFind({ email });
  if (phone) await tryFind({ phone });
  return { request: view, candidates: [...seen.values()] };
}

export async function confirmMatch(ctx: RequestsContext, actor: Actor, idOrRef: string, subjectId: string | null): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', async (_row, _doc, trx) => {
    if (subjectId !== null) {
      const s = await trx.selectFrom('subjects').select(['id', 'erased_at']).where('id', '=', subjectId).executeTakeFirst();
      if (!s) throw notFound('subject', subjectId);
      if (s.erased_at) throw new StewardError('CONFLICT', `subject ${subjectId} has been erased`);
    }
    return { set: { subject_id: subjectId }, event: { type: 'matched', details: { subject: subjectId } } };
  });
  return view;
}

// ——— the clock ———

export async function pauseRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { askedOn?: string; question?: string }): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    if (row.status === 'identity-pending') throw new StewardError('CONFLICT', 'the clock has not started (identity or authority awaited): asking for ID moves the start, it is not a pause');
    if (row.status === 'fee-pending') throw new StewardError('CONFLICT', `the clock of request ${row.reference} has not started: it starts when the fee asked for arrives`);
    if (row.status === 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is already paused`);
    const askedOn = checkDate(input.askedOn, 'askedOn', today) ?? today;
    const pauses = parsePauses(row.pauses);
    const current = requestDeadline(ctx.policy, row, today);
    if (askedOn < current.start) throw invalid('askedOn', `is before the clock started (${current.start})`);
    if (askedOn > current.due) throw invalid('askedOn', `is after the deadline (${current.due}): a clock that has run out cannot be stopped`);
    const last = pauses[pauses.length - 1];
    if (last?.to && askedOn < last.to) throw invalid('askedOn', `overlaps the previous pause (answered ${last.to})`);
    pauses.push({ from: askedOn, to: null });
    const question = checkText(input.question, 'question');
    doc.clarifications.push({ askedOn, ...(question ? { question } : {}) });
    return { set: { status: 'paused', pauses: JSON.stringify(pauses) }, event: { type: 'paused', details: { askedOn } }, letter: question ? 'clarification' : undefined };
  });
  return view;
}

export async function resumeRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { answeredOn?: string }): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    if (row.status !== 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is not paused`);
    const pauses = parsePauses(row.pauses);
    const open = pauses[pauses.length - 1]!;
    const answeredOn = checkDate(input.answeredOn, 'answeredOn', today) ?? today;
    if (answeredOn < open.from) throw invalid('answeredOn', `is before the question was asked (${open.from})`);
    open.to = answeredOn;
    const c = doc.clarifications[doc.clarifications.length - 1];
    if (c) c.answeredOn = answeredOn;
    return { set: { status: row.extended ? 'extended' : 'open', pauses: JSON.stringify(pauses) }, event: { type: 'resumed', details: { askedOn: open.from, answeredOn } } };
  });
  return view;
}

export async function extendRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { reasons: string }): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (row, doc, _trx, today) => {
    if (!ctx.policy.policy.rights.extension_allowed) throw new StewardError('CONFLICT', 'the declaration says requests are not extended (rights.extension_allowed: false)');
    if (row.extended) throw new StewardError('CONFLICT', `request ${row.reference} was already extended: there is one extension, to three months`);
    if (AWAITING_START.has(row.status) || row.status === 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is ${row.status}: extend it once the clock runs`);
    const reasons = checkText(input.reasons, 'reasons');
    if (!reasons) throw invalid('reasons', 'say why the request is complex or numerous: the person must be told the reasons');
    const current = requestDeadline(ctx.policy, row, today);
    // Art 12(3)/12A: the person must be told within the first period.
    if (today > current.extension.noticeDue) throw new StewardError('CONFLICT', `too late to extend: the notice was due by ${current.extension.noticeDue}`);
    doc.extension = { reasons, at: ctx.clock.now().toISOString(), by: actor.id, noticeDue: current.extension.noticeDue };
    return { set: { extended: 1, status: 'extended' }, event: { type: 'extended', details: { noticeDue: current.extension.noticeDue, due: current.extension.due } }, letter: 'extension' };
  });
  return view;
}

// ——— ending without fulfilment ———

export async function refuseRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { reason: string; explanation: string }): Promise<ChangeResult> {
  return changeRequest(ctx, actor, idOrRef, 'requests:manage', (_row, doc) => {
    if (!(REFUSAL_REASONS as readonly string[]).includes(input.reason)) throw invalid('reason', `must be one of ${REFUSAL_REASONS.join(', ')}`);
    const explanation = checkText(input.explanation, 'explanation');
    if (!explanation) throw invalid('explanation', 'explain the refusal: the organisation must be able to show why (Art 12(5))');
    doc.refusal = { reason: input.reason, explanation };
    return {
      set: { status: 'refused', outcome: 'refused', closed_at: ctx.clock.now().toISOString() },
      event: { type: 'refused', details: { reason: input.reason } },
      letter: 'refusal',
    };
  });
}

export async function withdrawRequest(ctx: RequestsContext, actor: Actor, idOrRef: string, input: { note?: string } = {}): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (_row, doc) => {
    const note = checkText(input.note, 'note', LIMITS.noteChars);
    if (note) doc.notes.push({ at: ctx.clock.now().toISOString(), by: actor.id, text: note });
    return { set: { status: 'withdrawn', outcome: 'withdrawn', closed_at: ctx.clock.now().toISOString() }, event: { type: 'withdrawn', details: {} }, letter: 'withdrawn' };
  });
  return view;
}

export async function addNote(ctx: RequestsContext, actor: Actor, idOrRef: string, text: string): Promise<RequestView> {
  const { view } = await changeRequest(
    ctx,
    actor,
    idOrRef,
    'requests:manage',
    (_row, doc) => {
      const t = checkText(text, 'text', LIMITS.noteChars);
      if (!t) throw invalid('text', 'the note is empty');
      doc.notes.push({ at: ctx.clock.now().toISOString(), by: actor.id, text: t });
      return { event: { type: 'note', details: {} } };
    },
    { allowClosed: true },
  );
  return view;
}

// ——— Art 19 tasks ———

export async function completeTask(ctx: RequestsContext, actor: Actor, idOrRef: string, taskId: string): Promise<RequestView> {
  const { view } = await changeRequest(
    ctx,
    actor,
    idOrRef,
    'requests:manage',
    async (row, _doc, trx) => {
      const t = await trx.selectFrom('request_tasks').selectAll().where('id', '=', taskId).where('request_id', '=', row.id).executeTakeFirst();
      if (!t) throw notFound('task', taskId);
      if (t.status === 'done') throw new StewardError('CONFLICT', `task ${taskId} is already done`);
      await trx.updateTable('request_tasks').set({ status: 'done', done_at: ctx.clock.now().toISOString(), done_by: actor.id }).where('id', '=', taskId).execute();
      return { event: { type: 'task-done', details: { task: taskId, recipient: t.recipient } } };
    },
    { allowClosed: true },
  );
  return view;
}

// ——— reading ———

export async function getRequest(ctx: AppContext, actor: Actor, idOrRef: string, opts: { history?: boolean } = {}): Promise<RequestView> {
  authorise(actor, 'requests:read');
  const today = ukToday(ctx.clock.now());
  return writeTx(ctx, async (trx) => {
    const row = await requestRow(trx, idOrRef);
    const doc = openDoc(await requestKey(ctx, row), row);
    const view = toView(ctx, row, doc, await tasksOf(ctx, trx, row.id), today);
    if (opts.history) view.history = await loadRequestEvents(trx, row.id);
    // Reading a request shows the requester's details: audited like a read of the register.
    await appendAudit(trx, ctx, actor, [{ action: 'request.read', ...(row.subject_id ? { subjectId: row.subject_id } : {}), details: { request: row.id } }]);
    return view;
  });
}

export interface RequestSummary {
  id: string;
  reference: string;
  type: string;
  status: string;
  channel: string;
  receivedOn: string;
  dueOn: string;
  extended: boolean;
  subjectId: string | null;
  outcome: string | null;
  overdue: boolean;
  daysLeft: number;
}

function summary(row: RequestRow, today: string): RequestSummary {
  return {
    id: row.id,
    reference: row.reference,
    type: row.type,
    status: row.status,
    channel: row.channel,
    receivedOn: row.received_on,
    dueOn: row.due_on,
    extended: row.extended === 1,
    subjectId: row.subject_id,
    outcome: row.outcome,
    overdue: !CLOSED.has(row.status) && !AWAITING_START.has(row.status) && row.status !== 'paused' && row.due_on < today,
    daysLeft: dayDiff(today, row.due_on),
  };
}

/** Requests by due date (no personal data: the list never decrypts). */
export async function listRequests(ctx: AppContext, actor: Actor, opts: { status?: string; open?: boolean; limit?: number } = {}): Promise<RequestSummary[]> {
  authorise(actor, 'requests:read');
  const today = ukToday(ctx.clock.now());
  let q = ctx.database.db.selectFrom('requests').selectAll().orderBy('due_on').orderBy('reference').limit(Math.min(opts.limit ?? 200, LIMITS.listMax));
  if (opts.status) q = q.where('status', '=', opts.status);
  if (opts.open) q = q.where('status', 'not in', [...CLOSED]);
  const rows = await q.execute();
  // The deadline of a request paused or waiting for its fee moves daily: refresh it for display.
  return rows.map((r) => summary(r.status === 'paused' || r.status === 'fee-pending' ? { ...r, due_on: requestDeadline(ctx.policy, r, today).due } : r, today));
}

/** Requests whose clock runs and whose deadline has passed. */
export async function overdueRequests(ctx: AppContext, actor: Actor): Promise<RequestSummary[]> {
  authorise(actor, 'requests:read');
  const today = ukToday(ctx.clock.now());
  const rows = await ctx.database.db.selectFrom('requests').selectAll().where('status', 'in', ['open', 'extended']).where('due_on', '<', today).orderBy('due_on').execute();
  return rows.map((r) => summary(r, today));
}
