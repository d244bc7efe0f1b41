/**
 * Rights requests (UK GDPR Arts 12–21) from intake to response: intake by staff or the public
 * privacy centre, identity and authority evidence, matching to the register, the statutory clock
 * (pauses, one extension), refusal and withdrawal, notes and Art 19 tasks, and reading them.
 * Fulfilment per type is in requests.fulfil.ts; every change after intake goes through
 * changeRequest (requests.change.ts).
 */
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { versionInForce } from '../policy/publishing.service.js';
import { isStewardError, notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { subjectErasedAt } from '../register/subject-lookups.js';
import { changeRequest, readyToStart, type Change, type ChangeResult } from './requests.change.js';
import { assertNoDocumentNumbers, AUTHORITY_EVIDENCE, checkDate, checkEvidence, checkText, EMAIL, identityRule, invalid, LIMITS, REFUSAL_REASONS } from './requests.checks.js';
import { clockColumns, parsePauses, requestDeadline, ukToday } from './requests.clock.js';
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
  type RequestChannel,
  type RequestDoc,
  type RequestRow,
  type RequestType,
  type Requester,
} from './requests.store.js';
import { isRequestType } from './requests.types.js';
import { summaryOf, tasksOf, toView, type RequestSummary, type RequestView } from './requests.view.js';
import { findSubjects } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';
import type { SubjectSummary } from '../register/register.repository.js';

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

export async function openRequest(ctx: AppContext, actor: Actor, input: OpenInput): Promise<RequestView> {
  authorise(actor, 'requests:open');
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const today = ukToday(now);
  if (!isRequestType(input.type)) throw invalid('type', `must be one of ${REQUEST_TYPES.join(', ')}`);
  if (!(REQUEST_CHANNELS as readonly string[]).includes(input.channel)) throw invalid('channel', `must be one of ${REQUEST_CHANNELS.join(', ')}`);
  const receivedOn = checkDate(input.receivedOn, 'receivedOn', today) ?? today;
  const r = input.requester ?? {};
  const requester: Requester = {
    name: checkText(r.name, 'requester.name', LIMITS.nameChars),
    email: r.email?.trim(),
    phone: checkText(r.phone, 'requester.phone', 40),
    address: checkText(r.address, 'requester.address', 1000),
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
    representative,
    details,
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

export async function verifyRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: VerifyInput): Promise<RequestView> {
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
export async function matchRequest(ctx: AppContext, actor: Actor, idOrRef: string): Promise<{ request: RequestView; candidates: SubjectSummary[] }> {
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

export async function confirmMatch(ctx: AppContext, actor: Actor, idOrRef: string, subjectId: string | null): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', async (_row, _doc, trx) => {
    if (subjectId !== null) {
      const erasedAt = await subjectErasedAt(trx, subjectId);
      if (erasedAt === undefined) throw notFound('subject', subjectId);
      if (erasedAt) throw new StewardError('CONFLICT', `subject ${subjectId} has been erased`);
    }
    return { set: { subject_id: subjectId }, event: { type: 'matched', details: { subject: subjectId } } };
  });
  return view;
}

// ——— the clock ———

export async function pauseRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: { askedOn?: string; question?: string }): Promise<RequestView> {
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
    doc.clarifications.push({ askedOn, question });
    return { set: { status: 'paused', pauses: JSON.stringify(pauses) }, event: { type: 'paused', details: { askedOn } }, letter: question ? 'clarification' : undefined };
  });
  return view;
}

export async function resumeRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: { answeredOn?: string }): Promise<RequestView> {
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

export async function extendRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: { reasons: string }): Promise<RequestView> {
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

export async function refuseRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: { reason: string; explanation: string }): Promise<ChangeResult> {
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

export async function withdrawRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: { note?: string } = {}): Promise<RequestView> {
  const { view } = await changeRequest(ctx, actor, idOrRef, 'requests:manage', (_row, doc) => {
    const note = checkText(input.note, 'note', LIMITS.noteChars);
    if (note) doc.notes.push({ at: ctx.clock.now().toISOString(), by: actor.id, text: note });
    return { set: { status: 'withdrawn', outcome: 'withdrawn', closed_at: ctx.clock.now().toISOString() }, event: { type: 'withdrawn', details: {} }, letter: 'withdrawn' };
  });
  return view;
}

export async function addNote(ctx: AppContext, actor: Actor, idOrRef: string, text: string): Promise<RequestView> {
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

export async function completeTask(ctx: AppContext, actor: Actor, idOrRef: string, taskId: string): Promise<RequestView> {
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
    await appendAudit(trx, ctx, actor, [{ action: 'request.read', subjectId: row.subject_id ?? undefined, details: { request: row.id } }]);
    return view;
  });
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
  return rows.map((r) => summaryOf(r.status === 'paused' || r.status === 'fee-pending' ? { ...r, due_on: requestDeadline(ctx.policy, r, today).due } : r, today));
}

/** Requests whose clock runs and whose deadline has passed. */
export async function overdueRequests(ctx: AppContext, actor: Actor): Promise<RequestSummary[]> {
  authorise(actor, 'requests:read');
  const today = ukToday(ctx.clock.now());
  const rows = await ctx.database.db.selectFrom('requests').selectAll().where('status', 'in', ['open', 'extended']).where('due_on', '<', today).orderBy('due_on').execute();
  return rows.map((r) => summaryOf(r, today));
}
