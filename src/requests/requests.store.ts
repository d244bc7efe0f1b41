/**
 * Storage of rights requests: the row, the request's data key and the encrypted request document,
 * and the non-personal history.
 *
 * The request key is made and unwrapped through the keyring as a subject key whose owner id is
 * `request:<id>` (as breaches do with `breach:<id>`), so it sits under the same KEK and is
 * re-wrapped on rotation (WRAPPED_KEY_TABLES).
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../auth/roles.js';
import { aad, decrypt, encrypt } from '../crypto/envelope.js';
import type { Tables } from '../db/tables.js';
import { notFound, StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import './requests.tables.js';
import type { AppContext } from '../kernel/context.js';

export type RequestRow = Tables['requests'];

export const REQUEST_TYPES = ['access', 'rectification', 'erasure', 'restriction', 'portability', 'objection', 'marketing-objection', 'withdraw-consent'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];
export const REQUEST_CHANNELS = ['email', 'phone', 'letter', 'web'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];
export const STATUSES = ['identity-pending', 'fee-pending', 'open', 'paused', 'extended', 'completed', 'refused', 'withdrawn'] as const;
export type RequestStatus = (typeof STATUSES)[number];
export const CLOSED: ReadonlySet<string> = new Set(['completed', 'refused', 'withdrawn']);
/** Waiting for something that starts the clock (identity, authority, a fee): nothing is due yet. */
export const AWAITING_START: ReadonlySet<string> = new Set(['identity-pending', 'fee-pending']);

export const FEE_REASONS = ['manifestly-unfounded', 'excessive', 'further-copies'] as const;
export type FeeReason = (typeof FEE_REASONS)[number];

/** A fee asked for on a request, what became of it, and who recorded each step. */
export interface FeeEntry {
  /** In pence, so no sum is ever a binary fraction. */
  amountPence: number;
  reason: FeeReason;
  /** Why the request is manifestly unfounded or excessive, or which further copies: shown to the person. */
  explanation: string;
  askedOn: string;
  askedBy: string;
  receivedOn?: string;
  receivedRecordedBy?: string;
  waivedAt?: string;
  waivedBy?: string;
  waiverReason?: string;
}

export interface Requester {
  name?: string;
  email?: string;
  phone?: string;
  address?: string;
}

export interface LetterEntry {
  kind: string;
  at: string;
  subject: string;
  text: string;
  html: string;
  sentTo: 'email' | 'post';
  messageId?: string;
}

/** Everything personal about a request, encrypted as one document. */
export interface RequestDoc {
  requester: Requester;
  representative?: { name: string; acting: string };
  /** What the person asked, in their words. */
  details?: string;
  /** Staff notes (free text can name people). */
  notes: Array<{ at: string; by: string; text: string }>;
  identity: Array<{ kind: string; checkedBy: string; checkedAt: string; receivedOn: string }>;
  authority?: { kind: string; checkedBy: string; checkedAt: string; receivedOn: string };
  clarifications: Array<{ askedOn: string; question?: string; answeredOn?: string }>;
  extension?: { reasons: string; at: string; by: string; noticeDue: string };
  refusal?: { reason: string; explanation: string };
  /** Fees asked for, oldest first; the last one is current unless waived. Absent on documents from before fees. */
  fees?: FeeEntry[];
  /** The result as shown in letters: per category for erasure, digests for rectification … */
  result?: Record<string, unknown>;
  letters: LetterEntry[];
  restrictionLift?: { toldOn: string; method: string; by: string; at: string };
  /** The privacy notice in force when the request was received (absent on documents from before publishing). */
  noticeVersion?: NoticeCitation;
}

/** A notice version as letters and packs cite it. */
export interface NoticeCitation {
  hash: string;
  effectiveDate: string;
  published: boolean;
}

/** "version 1a2b3c4d5e6f, effective 2026-03-01" (or "…, not yet published"). */
export const citeNotice = (n: NoticeCitation): string => `version ${n.hash.slice(0, 12)}, effective ${n.effectiveDate}${n.published ? '' : ', not yet published'}`;

const keyOwner = (id: string): string => `request:${id}`;
const docAad = (id: string, version: number): string => aad('request-doc', id, version);
export const packAad = (requestId: string, packId: string): string => aad('request-pack', requestId, packId);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^RQ-\d{4}-\d{3,}$/i;

/** Finds a request by its id or its reference ("RQ-2026-001"); NOT_FOUND otherwise. */
export async function requestRow(db: Kysely<Tables>, idOrReference: string): Promise<RequestRow> {
  const key = String(idOrReference).trim();
  let row: RequestRow | undefined;
  if (UUID.test(key)) row = await db.selectFrom('requests').selectAll().where('id', '=', key.toLowerCase()).executeTakeFirst();
  else if (REFERENCE.test(key)) row = await db.selectFrom('requests').selectAll().where('reference', '=', key.toUpperCase()).executeTakeFirst();
  else throw new StewardError('VALIDATION_FAILED', 'a request is named by its id (a UUID) or its reference (RQ-2026-001)');
  if (!row) throw notFound('request', key.length > 64 ? `${key.slice(0, 64)}…` : key);
  return row;
}

export async function requestKey(ctx: AppContext, row: Pick<RequestRow, 'id' | 'wrapped_key' | 'kek_version'>): Promise<Buffer> {
  await ctx.keyring.ensureVersions([row.kek_version]);
  return ctx.keyring.unwrapSubjectKey(keyOwner(row.id), row.wrapped_key);
}

export const newRequestKey = (ctx: AppContext, id: string) => ctx.keyring.newSubjectKey(keyOwner(id));

export const sealDoc = (dek: Buffer, id: string, version: number, doc: RequestDoc): Buffer => encrypt(dek, JSON.stringify(doc), docAad(id, version));
export const openDoc = (dek: Buffer, row: Pick<RequestRow, 'id' | 'version' | 'payload'>): RequestDoc =>
  JSON.parse(decrypt(dek, row.payload, docAad(row.id, row.version)).toString('utf8')) as RequestDoc;

/** The next reference for the year: call inside a transaction holding the write lock. */
export async function nextReference(trx: Kysely<Tables>, year: string): Promise<string> {
  const rows = await trx.selectFrom('requests').select('reference').where('reference', 'like', `RQ-${year}-%`).execute();
  const max = rows.reduce((m, r) => Math.max(m, Number.parseInt(r.reference.slice(8), 10) || 0), 0);
  return `RQ-${year}-${String(max + 1).padStart(3, '0')}`;
}

/** A history event's details, stored as JSON: a value left undefined is left out. */
export type EventDetails = Record<string, string | number | boolean | null | undefined | string[] | Record<string, unknown>>;

export async function appendRequestEvent(trx: Kysely<Tables>, requestId: string, actor: Actor, type: string, details: EventDetails, at: string): Promise<void> {
  const last = await trx.selectFrom('request_events').select('seq').where('request_id', '=', requestId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  await trx
    .insertInto('request_events')
    .values({ id: newId(), request_id: requestId, seq: (last ? Number(last.seq) : 0) + 1, type, at, actor: actor.id, details: JSON.stringify(details) })
    .execute();
}

export interface RequestEventView {
  seq: number;
  type: string;
  at: string;
  actor: string;
  details: Record<string, unknown>;
}

export async function loadRequestEvents(db: Kysely<Tables>, requestId: string): Promise<RequestEventView[]> {
  const rows = await db.selectFrom('request_events').selectAll().where('request_id', '=', requestId).orderBy('seq').execute();
  return rows.map((r) => ({ seq: Number(r.seq), type: r.type, at: r.at, actor: r.actor, details: JSON.parse(r.details) as Record<string, unknown> }));
}

/**
 * Empties the access and portability packs made for these people (the rows stay: what was
 * released, when, how often fetched). Called by every erasure: a pack is a copy of the person's
 * data under the request's key, which destroying the person's key would not reach.
 */
export async function emptyPacksOfSubjects(trx: Kysely<Tables>, subjectIds: readonly string[]): Promise<void> {
  if (subjectIds.length === 0) return;
  await trx
    .updateTable('request_packs')
    .set({ content: Buffer.alloc(0) })
    .where('request_id', 'in', (eb) => eb.selectFrom('requests').select('id').where('subject_id', 'in', [...subjectIds]))
    .execute();
}
