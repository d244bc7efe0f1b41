/**
 * Complaints to the organisation about its use of personal data (DPA 2018 s.164A, inserted by the
 * Data (Use and Access) Act 2025 s.103, in force 19 June 2026): a complaint made on the public
 * form or logged by staff from any other channel; acknowledged within 30 days; steps taken and the
 * person kept informed; the outcome told without undue delay, by letter.
 *
 * The clock: s.164A(3) gives "the period of 30 days beginning when the complaint is received". We
 * count the day of receipt as the first of the 30 (the earlier reading, so never late under the
 * other): acknowledgement is due by received_on + 29 days, weekends and bank holidays included.
 *
 * Who may do what reuses the rights-request permissions: the people who answer requests answer
 * complaints (staff log them, the privacy officer and owner handle them).
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import { isIsoDate } from '../deadline/plain-date.js';
import type { Tables } from '../db/tables.js';
import type { Mailer } from '../mail/mailer.js';
import { versionInForce } from '../policy/publishing.service.js';
import { ukToday } from '../requests/requests.clock.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { OUTCOMES, type Complainant, type ComplaintDoc, type ComplaintLetter, type ComplaintLetterKind, type Outcome } from './complaints.doc.js';
import { renderComplaintLetter } from './complaints.letters.js';
import './complaints.tables.js';
import { writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';
import { subjectExists } from '../register/register.repository.js';

export const COMPLAINT_CHANNELS = ['web', 'email', 'phone', 'letter', 'in-person'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];
export const COMPLAINT_STATUSES = ['received', 'acknowledged', 'closed'] as const;

/** s.164A(3): 30 days beginning with the day of receipt. */
export const ACK_DAYS = 30;
export const LIMITS = { text: 5000, name: 200 };

type Row = Tables['complaints'];

export interface ComplaintView {
  id: string;
  reference: string;
  channel: string;
  status: string;
  receivedOn: string;
  ackDueOn: string;
  acknowledgedOn: string | null;
  ackOverdue: boolean;
  closedOn: string | null;
  outcome: string | null;
  subjectId: string | null;
  noticeHash: string;
  createdAt: string;
  updatedAt: string;
  doc: ComplaintDoc;
}

const invalid = (path: string, message: string): StewardError => new StewardError('VALIDATION_FAILED', `${path}: ${message}`, [{ path, message }]);
const EMAIL = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,255}\.[^\s@<>()",;]{2,63}$/;
const keyOwner = (id: string): string => `complaint:${id}`;
const docAad = (id: string, version: number): string => aad('complaint-doc', id, version);

export const addDays = (iso: string, n: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** The last day to acknowledge a complaint received on `receivedOn`. */
export const ackDueOn = (receivedOn: string): string => addDays(receivedOn, ACK_DAYS - 1);

function text(value: unknown, path: string, max: number, required = false): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw invalid(path, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(path, 'must be text');
  const t = value.trim();
  if (t.length > max) throw invalid(path, `is longer than ${max} characters`);
  if (t === '') {
    if (required) throw invalid(path, 'must not be empty');
    return undefined;
  }
  // Free text is where a card number slips in: never stored.
  assertNoCardData({ [path]: t });
  return t;
}

function sealDoc(dek: Buffer, id: string, version: number, doc: ComplaintDoc): Buffer {
  return encrypt(dek, JSON.stringify(doc), docAad(id, version));
}

async function openDoc(ctx: AppContext, row: Row): Promise<{ dek: Buffer; doc: ComplaintDoc }> {
  await ctx.keyring.ensureVersions([row.kek_version]);
  const dek = ctx.keyring.unwrapSubjectKey(keyOwner(row.id), row.wrapped_key);
  return { dek, doc: JSON.parse(decrypt(dek, row.payload, docAad(row.id, row.version)).toString('utf8')) as ComplaintDoc };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^CP-\d{4}-\d{3,}$/i;

async function complaintRow(db: Kysely<Tables>, idOrRef: string): Promise<Row> {
  const key = String(idOrRef).trim();
  let row: Row | undefined;
  if (UUID.test(key)) row = await db.selectFrom('complaints').selectAll().where('id', '=', key.toLowerCase()).executeTakeFirst();
  else if (REFERENCE.test(key)) row = await db.selectFrom('complaints').selectAll().where('reference', '=', key.toUpperCase()).executeTakeFirst();
  else throw new StewardError('VALIDATION_FAILED', 'a complaint is named by its id (a UUID) or its reference (CP-2026-001)');
  if (!row) throw notFound('complaint', key.length > 64 ? `${key.slice(0, 64)}…` : key);
  return row;
}

function toView(row: Row, doc: ComplaintDoc, today: string): ComplaintView {
  return {
    id: row.id,
    reference: row.reference,
    channel: row.channel,
    status: row.status,
    receivedOn: row.received_on,
    ackDueOn: row.ack_due_on,
    acknowledgedOn: row.acknowledged_on,
    ackOverdue: row.acknowledged_on === null && row.status !== 'closed' && row.ack_due_on < today,
    closedOn: row.closed_on,
    outcome: row.outcome,
    subjectId: row.subject_id,
    noticeHash: row.notice_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    doc,
  };
}

export interface LogInput {
  channel: ComplaintChannel;
  /** YYYY-MM-DD; default today. */
  receivedOn?: string;
  complainant: Complainant;
  summary: string;
  subjectId?: string;
}

/** Records a complaint received by any channel; the acknowledgement clock starts on the day received. */
export async function logComplaint(ctx: AppContext, actor: Actor, input: LogInput): Promise<ComplaintView> {
  authorise(actor, 'requests:open');
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const today = ukToday(now);
  if (!(COMPLAINT_CHANNELS as readonly string[]).includes(input.channel)) throw invalid('channel', `must be one of ${COMPLAINT_CHANNELS.join(', ')}`);
  const receivedOn = input.receivedOn ?? today;
  if (!isIsoDate(receivedOn)) throw invalid('receivedOn', 'is not a calendar date written YYYY-MM-DD');
  if (receivedOn > today) throw invalid('receivedOn', `is in the future (today is ${today})`);
  const c = input.complainant ?? {};
  const complainant: Complainant = {};
  const name = text(c.name, 'complainant.name', LIMITS.name);
  if (name) complainant.name = name;
  if (c.email !== undefined) {
    const email = String(c.email).trim();
    if (!EMAIL.test(email) || email.length > 320) throw invalid('complainant.email', 'is not an email address');
    complainant.email = email;
  }
  const phone = text(c.phone, 'complainant.phone', 40);
  if (phone) complainant.phone = phone;
  const address = text(c.address, 'complainant.address', 1000);
  if (address) complainant.address = address;
  if (!complainant.email && !complainant.phone && !complainant.address) throw invalid('complainant', 'give a way to reply: an email address, a phone number or a postal address');
  const summary = text(input.summary, 'summary', LIMITS.text, true)!;
  const id = newId();
  const doc: ComplaintDoc = { complainant, summary, steps: [], letters: [] };
  const { dek, wrapped, kekVersion } = ctx.keyring.newSubjectKey(keyOwner(id));
  const notice = await versionInForce(ctx.database.db, ctx.policy);
  const row = await writeTx(ctx, async (trx) => {
    if (input.subjectId !== undefined && !(await subjectExists(trx, String(input.subjectId)))) {
      throw notFound('subject', String(input.subjectId).slice(0, 64));
    }
    const year = today.slice(0, 4);
    const refs = await trx.selectFrom('complaints').select('reference').where('reference', 'like', `CP-${year}-%`).execute();
    const next = refs.reduce((m, r) => Math.max(m, Number.parseInt(r.reference.slice(8), 10) || 0), 0) + 1;
    const row: Row = {
      id,
      reference: `CP-${year}-${String(next).padStart(3, '0')}`,
      channel: input.channel,
      status: 'received',
      received_on: receivedOn,
      ack_due_on: ackDueOn(receivedOn),
      acknowledged_on: null,
      closed_on: null,
      outcome: null,
      subject_id: input.subjectId ?? null,
      notice_hash: notice.hash,
      reminded: null,
      created_at: nowIso,
      created_by: actor.id,
      updated_at: nowIso,
      version: 1,
      wrapped_key: wrapped,
      kek_version: kekVersion,
      payload: sealDoc(dek, id, 1, doc),
    };
    await trx.insertInto('complaints').values(row).execute();
    await appendAudit(trx, ctx, actor, [
      { action: 'complaint.log', ...(row.subject_id ? { subjectId: row.subject_id } : {}), details: { complaint: id, reference: row.reference, channel: row.channel, ackDueOn: row.ack_due_on } },
    ]);
    return row;
  });
  return toView(row, doc, today);
}

interface Change {
  set?: Partial<Pick<Row, 'status' | 'acknowledged_on' | 'closed_on' | 'outcome' | 'subject_id'>>;
  action: string;
  details?: Record<string, string | number | boolean | null>;
  letter?: ComplaintLetterKind;
}

/** The one write path: re-read, change the document, seal, audit; after commit, mail any letter. */
async function changeComplaint(ctx: AppContext, actor: Actor, idOrRef: string, fn: (row: Row, doc: ComplaintDoc, today: string) => Change | Promise<Change>): Promise<{ view: ComplaintView; letter?: ComplaintLetter }> {
  authorise(actor, 'requests:manage');
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const today = ukToday(now);
  const { view, letter } = await writeTx(ctx, async (trx) => {
    const row = await complaintRow(trx, idOrRef);
    const { dek, doc } = await openDoc(ctx, row);
    const change = await fn(row, doc, today);
    const next: Row = { ...row, ...change.set, version: row.version + 1, updated_at: nowIso };
    let letter: ComplaintLetter | undefined;
    if (change.letter) {
      const r = renderComplaintLetter(ctx.policy, change.letter, next, doc, today);
      letter = { kind: change.letter, at: nowIso, subject: r.subject, text: r.text, sentTo: doc.complainant.email ? 'email' : 'post' };
      doc.letters.push(letter);
    }
    const payload = sealDoc(dek, row.id, next.version, doc);
    const updated = await trx
      .updateTable('complaints')
      .set({ ...change.set, version: next.version, updated_at: nowIso, payload })
      .where('id', '=', row.id)
      .where('version', '=', row.version)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new StewardError('CONFLICT', `complaint ${row.reference} changed meanwhile: look at it again, then retry`);
    await appendAudit(trx, ctx, actor, [
      {
        action: change.action,
        ...(next.subject_id ? { subjectId: next.subject_id } : {}),
        details: { complaint: row.id, reference: row.reference, status: next.status, ...(letter ? { letter: letter.kind } : {}), ...(change.details ?? {}) },
      },
    ]);
    return { view: toView({ ...next, payload }, doc, today), letter };
  });
  if (letter && view.doc.complainant.email) await deliver(ctx, actor, view, letter, view.doc.complainant.email);
  return { view, ...(letter ? { letter } : {}) };
}

/** Electronic reply to an electronic complaint; a failed send is recorded in the audit trail, not thrown. */
async function deliver(ctx: AppContext, actor: Actor, view: ComplaintView, letter: ComplaintLetter, to: string): Promise<void> {
  let ok = false;
  try {
    letter.messageId = (await ctx.mailer.send({ to, subject: letter.subject, text: letter.text, headers: { 'X-Steward-Complaint': view.reference } })).messageId;
    ok = true;
  } catch {
    ok = false;
  }
  await writeTx(ctx, async (trx) => {
    await appendAudit(trx, ctx, actor, [{ action: ok ? 'complaint.letter.sent' : 'complaint.letter.failed', details: { complaint: view.id, letter: letter.kind } }]);
  });
}

const assertOpen = (row: Row): void => {
  if (row.status === 'closed') throw new StewardError('CONFLICT', `complaint ${row.reference} is closed: it can no longer be changed`);
};

/** s.164A(3): acknowledges receipt, with a letter. */
export function acknowledgeComplaint(ctx: AppContext, actor: Actor, idOrRef: string) {
  return changeComplaint(ctx, actor, idOrRef, (row, _doc, today) => {
    assertOpen(row);
    if (row.acknowledged_on) throw new StewardError('CONFLICT', `complaint ${row.reference} was acknowledged on ${row.acknowledged_on}`);
    return { set: { status: 'acknowledged', acknowledged_on: today }, action: 'complaint.acknowledge', details: { onTime: today <= row.ack_due_on }, letter: 'acknowledgement' };
  });
}

/** s.164A(4)(a), (5): a step taken (an enquiry made), optionally telling the person of progress. */
export function addStep(ctx: AppContext, actor: Actor, idOrRef: string, input: { text: string; inform?: boolean }) {
  const step = text(input.text, 'text', LIMITS.text, true)!;
  return changeComplaint(ctx, actor, idOrRef, (row, doc) => {
    assertOpen(row);
    doc.steps.push({ at: ctx.clock.now().toISOString(), by: actor.id, text: step, informed: Boolean(input.inform) });
    return { action: 'complaint.step', details: { steps: doc.steps.length, informed: Boolean(input.inform) }, ...(input.inform ? { letter: 'progress' as const } : {}) };
  });
}

/** s.164A(4)(b): the outcome, told by letter; acknowledges receipt too if that was not done yet. */
export function closeComplaint(ctx: AppContext, actor: Actor, idOrRef: string, input: { outcome: Outcome; explanation: string }) {
  if (!(OUTCOMES as readonly string[]).includes(input.outcome)) throw invalid('outcome', `must be one of ${OUTCOMES.join(', ')}`);
  const explanation = text(input.explanation, 'explanation', LIMITS.text, true)!;
  return changeComplaint(ctx, actor, idOrRef, (row, doc, today) => {
    assertOpen(row);
    doc.outcome = { outcome: input.outcome, explanation, at: ctx.clock.now().toISOString(), by: actor.id };
    return {
      set: { status: 'closed', closed_on: today, outcome: input.outcome, ...(row.acknowledged_on ? {} : { acknowledged_on: today }) },
      action: 'complaint.close',
      details: { outcome: input.outcome, steps: doc.steps.length },
      letter: 'outcome',
    };
  });
}

/** Ties the complaint to a person in the register, so it appears in their access pack. */
export function linkSubject(ctx: AppContext, actor: Actor, idOrRef: string, subjectId: string) {
  return changeComplaint(ctx, actor, idOrRef, async (row) => {
    if (!(await subjectExists(ctx.database.db, String(subjectId)))) throw notFound('subject', String(subjectId).slice(0, 64));
    return { set: { subject_id: String(subjectId) }, action: 'complaint.link', details: { previous: row.subject_id } };
  });
}

/** A complaint with its document (audited: it holds personal data). */
export async function getComplaint(ctx: AppContext, actor: Actor, idOrRef: string): Promise<ComplaintView> {
  authorise(actor, 'requests:read');
  const row = await complaintRow(ctx.database.db, idOrRef);
  const { doc } = await openDoc(ctx, row);
  await writeTx(ctx, (trx) => appendAudit(trx, ctx, actor, [{ action: 'complaint.read', ...(row.subject_id ? { subjectId: row.subject_id } : {}), details: { complaint: row.id } }]));
  return toView(row, doc, ukToday(ctx.clock.now()));
}

export interface ComplaintSummary {
  id: string;
  reference: string;
  channel: string;
  status: string;
  receivedOn: string;
  ackDueOn: string;
  acknowledgedOn: string | null;
  ackOverdue: boolean;
  closedOn: string | null;
  outcome: string | null;
}

/** The register, without personal data: newest first. */
export async function listComplaints(ctx: AppContext, actor: Actor, filter: { status?: string } = {}): Promise<ComplaintSummary[]> {
  authorise(actor, 'requests:read');
  if (filter.status !== undefined && !(COMPLAINT_STATUSES as readonly string[]).includes(filter.status)) throw invalid('status', `must be one of ${COMPLAINT_STATUSES.join(', ')}`);
  let q = ctx.database.db.selectFrom('complaints').select(['id', 'reference', 'channel', 'status', 'received_on', 'ack_due_on', 'acknowledged_on', 'closed_on', 'outcome']).orderBy('received_on', 'desc').orderBy('reference', 'desc').limit(1000);
  if (filter.status) q = q.where('status', '=', filter.status);
  const today = ukToday(ctx.clock.now());
  return (await q.execute()).map((r) => ({
    id: r.id,
    reference: r.reference,
    channel: r.channel,
    status: r.status,
    receivedOn: r.received_on,
    ackDueOn: r.ack_due_on,
    acknowledgedOn: r.acknowledged_on,
    ackOverdue: r.acknowledged_on === null && r.status !== 'closed' && r.ack_due_on < today,
    closedOn: r.closed_on,
    outcome: r.outcome,
  }));
}

/** A person's complaints, decrypted, for their access pack (the caller audits the release). */
export async function complaintsOfSubject(ctx: AppContext, subjectId: string): Promise<Array<Pick<ComplaintView, 'reference' | 'channel' | 'status' | 'receivedOn' | 'acknowledgedOn' | 'closedOn' | 'outcome'> & { summary: string; steps: string[]; outcomeExplanation?: string }>> {
  const rows = await ctx.database.db.selectFrom('complaints').selectAll().where('subject_id', '=', subjectId).orderBy('received_on').execute();
  const out = [];
  for (const row of rows) {
    const { doc } = await openDoc(ctx, row);
    out.push({
      reference: row.reference,
      channel: row.channel,
      status: row.status,
      receivedOn: row.received_on,
      acknowledgedOn: row.acknowledged_on,
      closedOn: row.closed_on,
      outcome: row.outcome,
      summary: doc.summary,
      steps: doc.steps.filter((s) => s.informed).map((s) => s.text),
      ...(doc.outcome ? { outcomeExplanation: doc.outcome.explanation } : {}),
    });
  }
  return out;
}
