/**
 * The disclosure log: what was actually disclosed about a person, to whom, when and why.
 *
 * The declaration says who *may* receive each category; the log says who *did*. Art 19 notices
 * after a rectification, erasure or restriction go to the recipients the log names, and the person
 * can be told who they are (Art 19, last sentence; Art 15(1)(c)). Rows are written by people (API
 * and CLI) and by Steward's own sends (access packs).
 *
 * A row holds ids in clear and its free-text note encrypted under the subject's data key: erasing
 * the person makes the note unreadable while the fact that a disclosure happened stays countable.
 */
import type { Kysely } from 'kysely';
import { appendAudit } from '../audit/audit.service.js';
import { authorise, type Actor } from '../auth/roles.js';
import { assertNoCardData } from '../crypto/card-detect.js';
import { aad, decryptText, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import type { Policy, Recipient } from '../policy/policy.schema.js';
import { loadSubjectKey, subjectExists } from '../register/register.repository.js';
import { newId } from '../shared/ids.js';
import { StewardError, notFound } from '../shared/errors.js';
import './accountability.tables.js';
import { readTx, writeTx } from '../db/transactions.js';
import type { AppContext } from '../kernel/context.js';

/** Recipients that are not declared entries: the person themselves, and the regulator. */
export const RESERVED_RECIPIENTS = {
  'data-subject': 'The person themselves',
  ico: "The Information Commissioner's Office",
} as const;

export const DISCLOSURE_REASONS = ['contract', 'legal-obligation', 'request', 'access-request', 'rights-notice', 'other'] as const;
export type DisclosureReason = (typeof DISCLOSURE_REASONS)[number];

export const NOTE_MAX = 2000;

export interface DisclosureInput {
  subjectId: string;
  recipient: string;
  categories: string[];
  reason: DisclosureReason;
  /** ISO date or date-time; defaults to now. */
  disclosedAt?: string;
  note?: string;
}

export interface DisclosureView {
  id: string;
  subjectId: string;
  recipient: string;
  recipientName: string;
  categories: string[];
  reason: string;
  disclosedAt: string;
  /** The note, decrypted; null when none was given or the person has been erased. */
  note: string | null;
  origin: 'manual' | 'automatic';
  recordedBy: string;
  /** True when the declaration does not list this recipient as receiving one of the categories. */
  undeclared: boolean;
}

const noteAad = (id: string, subjectId: string): string => aad('disclosure', id, subjectId);

export function recipientName(policy: Policy, id: string): string | undefined {
  if (id in RESERVED_RECIPIENTS) return RESERVED_RECIPIENTS[id as keyof typeof RESERVED_RECIPIENTS];
  return policy.recipients.find((r) => r.id === id)?.name;
}

/** The categories a declared recipient receives: named on it, or through a purpose that names it. */
export function declaredCategories(policy: Policy, recipientId: string): Set<string> {
  const out = new Set(policy.recipients.find((r) => r.id === recipientId)?.categories ?? []);
  for (const p of policy.purposes) if (p.recipients?.includes(recipientId)) for (const c of p.categories) out.add(c);
  return out;
}

function checkInput(policy: Policy, input: DisclosureInput, nowIso: string): { disclosedAt: string } {
  const problems: Array<{ path: string; message: string }> = [];
  if (!recipientName(policy, input.recipient)) {
    problems.push({ path: 'recipient', message: `"${input.recipient}" is not a declared recipient (nor data-subject or ico)` });
  }
  if (input.categories.length === 0) problems.push({ path: 'categories', message: 'name at least one data category' });
  input.categories.forEach((c, i) => {
    if (!policy.data_categories.some((d) => d.id === c)) problems.push({ path: `categories[${i}]`, message: `"${c}" is not a declared data category` });
  });
  if (!(DISCLOSURE_REASONS as readonly string[]).includes(input.reason)) problems.push({ path: 'reason', message: `use one of ${DISCLOSURE_REASONS.join(', ')}` });
  if (input.note !== undefined && input.note.length > NOTE_MAX) problems.push({ path: 'note', message: `at most ${NOTE_MAX} characters` });
  let disclosedAt = nowIso;
  if (input.disclosedAt !== undefined) {
    const s = /^\d{4}-\d{2}-\d{2}$/.test(input.disclosedAt) ? `${input.disclosedAt}T12:00:00.000Z` : input.disclosedAt;
    const t = Date.parse(s);
    if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(input.disclosedAt) || Number.isNaN(t)) problems.push({ path: 'disclosedAt', message: 'use a date (YYYY-MM-DD) or an ISO 8601 date-time' });
    else if (t > Date.parse(nowIso) + 60_000) problems.push({ path: 'disclosedAt', message: 'a disclosure cannot be in the future' });
    else disclosedAt = new Date(t).toISOString();
  }
  if (problems.length) throw new StewardError('VALIDATION_FAILED', 'the disclosure is not valid', problems);
  if (input.note) assertNoCardData({ note: input.note }, { path: 'note' });
  return { disclosedAt };
}

/**
 * Writes one disclosure inside the caller's transaction (for Steward's own sends, which log the
 * disclosure in the same transaction as the send is recorded). The caller has authorised.
 */
export async function insertDisclosure(
  trx: Kysely<Tables>,
  ctx: AppContext,
  actor: Actor,
  input: DisclosureInput,
  origin: 'manual' | 'automatic',
): Promise<DisclosureView> {
  const nowIso = ctx.clock.now().toISOString();
  const { disclosedAt } = checkInput(ctx.policy.policy, input, nowIso);
  if (!(await subjectExists(trx, input.subjectId))) throw notFound('subject', input.subjectId);
  const dek = await loadSubjectKey(ctx, trx, input.subjectId);
  if (!dek) throw new StewardError('CONFLICT', `subject ${input.subjectId} has been erased: nothing of theirs can be disclosed`);
  const id = newId(ctx.clock.now().getTime());
  const categories = [...new Set(input.categories)].sort();
  await trx
    .insertInto('disclosures')
    .values({
      id,
      subject_id: input.subjectId,
      recipient: input.recipient,
      categories: JSON.stringify(categories),
      disclosed_at: disclosedAt,
      reason: input.reason,
      note: input.note ? encrypt(dek, input.note, noteAad(id, input.subjectId)) : null,
      origin,
      recorded_by: actor.id,
      recorded_at: nowIso,
    })
    .execute();
  // The audit entry names the recipient and categories (declared ids), never the note.
  await appendAudit(trx, ctx, actor, [{ action: 'disclosure.record', subjectId: input.subjectId, details: { disclosure: id, recipient: input.recipient, categories, reason: input.reason, origin } }]);
  return toView(ctx.policy.policy, { id, subject_id: input.subjectId, recipient: input.recipient, categories: JSON.stringify(categories), disclosed_at: disclosedAt, reason: input.reason, note: null, origin, recorded_by: actor.id, recorded_at: nowIso }, input.note ?? null);
}

export async function recordDisclosure(ctx: AppContext, actor: Actor, input: DisclosureInput): Promise<DisclosureView> {
  authorise(actor, 'subjects:write');
  return writeTx(ctx, (trx) => insertDisclosure(trx, ctx, actor, input, 'manual'));
}

function toView(policy: Policy, row: Tables['disclosures'], note: string | null): DisclosureView {
  const categories = JSON.parse(row.categories) as string[];
  const declared = declaredCategories(policy, row.recipient);
  return {
    id: row.id,
    subjectId: row.subject_id,
    recipient: row.recipient,
    recipientName: recipientName(policy, row.recipient) ?? `${row.recipient} (no longer declared)`,
    categories,
    reason: row.reason,
    disclosedAt: row.disclosed_at,
    note,
    origin: row.origin === 'automatic' ? 'automatic' : 'manual',
    recordedBy: row.recorded_by,
    undeclared: !(row.recipient in RESERVED_RECIPIENTS) && categories.some((c) => !declared.has(c)),
  };
}

/** A person's disclosures, newest first, notes decrypted (audited as a read of the person). */
export async function subjectDisclosures(ctx: AppContext, actor: Actor, subjectId: string): Promise<DisclosureView[]> {
  authorise(actor, 'subjects:read');
  return readTx(ctx, async (trx) => {
    if (!(await subjectExists(trx, subjectId))) throw notFound('subject', subjectId);
    const rows = await trx.selectFrom('disclosures').selectAll().where('subject_id', '=', subjectId).orderBy('disclosed_at', 'desc').orderBy('id', 'desc').execute();
    const dek = rows.some((r) => r.note) ? await loadSubjectKey(ctx, trx, subjectId) : undefined;
    const views = rows.map((r) => toView(ctx.policy.policy, r, r.note && dek ? decryptText(dek, r.note, noteAad(r.id, r.subject_id)) : null));
    await appendAudit(trx, ctx, actor, [{ action: 'disclosure.read', subjectId, details: { count: views.length } }]);
    return views;
  });
}

export interface DisclosureSummary {
  recipient: string;
  recipientName: string;
  disclosures: number;
  people: number;
  first: string;
  last: string;
}

/** Counts per recipient over a period: no person is named, so nothing is decrypted. */
export async function disclosureSummary(ctx: AppContext, actor: Actor, opts: { from?: string; to?: string; recipient?: string } = {}): Promise<DisclosureSummary[]> {
  authorise(actor, 'subjects:read');
  let q = ctx.database.db
    .selectFrom('disclosures')
    .select((eb) => ['recipient', eb.fn.countAll<number>().as('n'), eb.fn.count<number>('subject_id').distinct().as('people'), eb.fn.min('disclosed_at').as('first'), eb.fn.max('disclosed_at').as('last')])
    .groupBy('recipient')
    .orderBy('recipient');
  if (opts.from) q = q.where('disclosed_at', '>=', opts.from);
  if (opts.to) q = q.where('disclosed_at', '<', opts.to);
  if (opts.recipient) q = q.where('recipient', '=', opts.recipient);
  const rows = await q.execute();
  return rows.map((r) => ({
    recipient: r.recipient,
    recipientName: recipientName(ctx.policy.policy, r.recipient) ?? r.recipient,
    disclosures: Number(r.n),
    people: Number(r.people),
    first: String(r.first),
    last: String(r.last),
  }));
}

export interface Art19Recipient {
  recipient: string;
  categories: string[];
  /** logged: the log shows the person's data went there; declared-routine: the log is empty and the declaration says it routinely receives the category. */
  basis: 'logged' | 'declared-routine';
}

/** Processors and group companies receive their categories routinely; others only on a given occasion. */
export const isRoutine = (r: Recipient): boolean => (r.disclosure ?? (r.kind === 'processor' || r.kind === 'group-company' ? 'routine' : 'occasional')) === 'routine';

/**
 * Whom Art 19 asks to be told of a rectification, erasure or restriction of these categories: the
 * declared recipients the log shows received any of them for this person; only where the log holds
 * nothing for the person, the declared recipients that receive the categories routinely. The
 * person themselves and the regulator are not Art 19 recipients.
 */
export async function art19Recipients(trx: Kysely<Tables>, policy: Policy, subjectId: string, categories: readonly string[]): Promise<Art19Recipient[]> {
  const wanted = new Set(categories);
  const rows = await trx.selectFrom('disclosures').select(['recipient', 'categories']).where('subject_id', '=', subjectId).execute();
  const logged = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r.recipient in RESERVED_RECIPIENTS) continue;
    for (const c of JSON.parse(r.categories) as string[]) if (wanted.has(c)) logged.set(r.recipient, (logged.get(r.recipient) ?? new Set()).add(c));
  }
  const anyLogged = rows.some((r) => !(r.recipient in RESERVED_RECIPIENTS));
  if (anyLogged) {
    return [...logged].map(([recipient, cs]) => ({ recipient, categories: [...cs].sort(), basis: 'logged' as const })).sort((a, b) => a.recipient.localeCompare(b.recipient));
  }
  const out: Art19Recipient[] = [];
  for (const r of policy.recipients) {
    if (!isRoutine(r)) continue;
    const cs = [...declaredCategories(policy, r.id)].filter((c) => wanted.has(c)).sort();
    if (cs.length) out.push({ recipient: r.id, categories: cs, basis: 'declared-routine' });
  }
  return out;
}

/**
 * The pack's account of who actually received the person's data (Art 15(1)(c)), from the log:
 * a plain-text file the person can read. Notes are left out (they may name other people); the
 * person themselves (earlier packs) is not a recipient.
 */
export async function recipientsFileForPack(db: Kysely<Tables>, policy: Policy, subjectId: string): Promise<{ name: string; content: string }> {
  const rows = await db.selectFrom('disclosures').select(['recipient', 'categories', 'disclosed_at', 'reason']).where('subject_id', '=', subjectId).where('recipient', '!=', 'data-subject').orderBy('disclosed_at').execute();
  const categoryName = (id: string): string => policy.data_categories.find((c) => c.id === id)?.name ?? id;
  const lines = rows.map((r) => `- ${r.disclosed_at.slice(0, 10)}: ${recipientName(policy, r.recipient) ?? r.recipient} received ${(JSON.parse(r.categories) as string[]).map(categoryName).join(', ')} (${r.reason.replace(/-/g, ' ')})`);
  const content = rows.length
    ? `Who has received your personal data, from our record of disclosures:\n\n${lines.join('\n')}\n`
    : `Our record of disclosures shows no one outside ${policy.organisation.name} has received your personal data.\nThe privacy notice lists who may receive it.\n`;
  return { name: 'recipients.txt', content };
}
