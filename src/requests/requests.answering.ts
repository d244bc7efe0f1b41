/**
 * What every fulfilment shares: what staff may give with an answer, the request being open and
 * ready to answer, the answer committed through changeRequest only if the request has not moved
 * on meanwhile, and the Art 19 tasks for the recipients of what was changed.
 */
import type { Kysely } from 'kysely';
import { art19Recipients } from '../accountability/disclosures.service.js';
import type { Actor } from '../auth/roles.js';
import { afterErasure } from '../backup/erasure-ledger.js';
import type { Tables } from '../db/tables.js';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { changeRequest, type ChangeFn, type ChangeResult } from './requests.change.js';
import type { Redaction } from './requests.pack.js';
import { requestRow, type RequestRow, type RequestType } from './requests.store.js';

export interface LegalClaim {
  category: string;
  /** e.g. "defence of claim ref 2026/14": a case reference, not a narrative about people. */
  reason: string;
  until?: string;
}

export interface Correction {
  recordId: string;
  /** The corrected value of the record's primary field (its single field, or its identifier). */
  value?: string;
  /** Corrected field values by field id (an empty value removes the field). */
  fields?: Record<string, string | null>;
  text?: string;
}

/** What staff may give with an answer; each type reads its own part. */
export interface FulfilInput {
  /** access: text to take out of the pack (other people's data). */
  redactions?: Redaction[];
  /** erasure: categories kept for legal claims (Art 17(3)(e)). */
  legalClaims?: LegalClaim[];
  /** rectification: the corrections. */
  changes?: Correction[];
  /** objection: the compelling legitimate grounds to continue (Art 21(1)). */
  compellingGrounds?: string;
  /** withdrawal of consent: the purposes (default: every consent held). */
  purposes?: string[];
}

export interface FulfilOptions {
  /** Make the answer in full, then roll it back: nothing stored or sent (ChangeOptions.preview). */
  preview?: boolean;
}

/** The request, if it is of this type and ready to be answered: evidence in, not paused, no fee awaited, not closed. */
export async function loadOpen(ctx: AppContext, idOrRef: string, type: RequestType): Promise<RequestRow> {
  const row = await requestRow(ctx.database.db, idOrRef);
  if (row.type !== type) throw new StewardError('CONFLICT', `request ${row.reference} is a ${row.type} request, not ${type}`);
  if (row.status === 'identity-pending') throw new StewardError('CONFLICT', `request ${row.reference} awaits identity or authority evidence: verify it first`);
  if (row.status === 'paused') throw new StewardError('CONFLICT', `request ${row.reference} is paused awaiting clarification: resume it first`);
  if (row.status === 'fee-pending') throw new StewardError('CONFLICT', `request ${row.reference} awaits the fee asked for: record it as received, or waive it, first`);
  if (['completed', 'refused', 'withdrawn'].includes(row.status)) throw new StewardError('CONFLICT', `request ${row.reference} is already ${row.status}`);
  return row;
}

/**
 * changeRequest for an answer prepared from `row` (read outside the transaction, often with slow
 * work after it: reading the register, building a pack): refused if the request changed since
 * (paused, a fee asked, answered by someone else), so nothing is answered on stale terms.
 */
export async function fulfilChange(ctx: AppContext, actor: Actor, row: RequestRow, fn: ChangeFn, opts: FulfilOptions): Promise<ChangeResult> {
  const result = await changeRequest(ctx, actor, row.id, 'requests:manage', fn, { expectVersion: row.version, preview: opts.preview });
  // Erasure, objection and withdrawal may have erased: mirror the ledger, checkpoint the WAL.
  await afterErasure(ctx);
  return result;
}

export function needSubject(row: RequestRow): string {
  if (!row.subject_id) throw new StewardError('CONFLICT', `request ${row.reference} is not matched to anyone in the register: run match and confirm first`);
  return row.subject_id;
}

/** How the person told us, as consent records name the method. */
export const methodFor = (channel: string): string => ({ email: 'email', phone: 'phone', letter: 'post', web: 'web-form' })[channel] ?? 'email';

/** Art 19 tasks for the recipients the disclosure log shows received these categories of the person's data. */
export async function createTasks(trx: Kysely<Tables>, ctx: AppContext, requestId: string, subjectId: string, action: string, categories: readonly string[]): Promise<number> {
  const now = ctx.clock.now().toISOString();
  const rows = (await art19Recipients(trx, ctx.policy.policy, subjectId, categories)).map((r) => ({
    id: newId(),
    request_id: requestId,
    recipient: r.recipient,
    categories: JSON.stringify(r.categories),
    action,
    status: 'open',
    created_at: now,
    done_at: null,
    done_by: null,
    basis: r.basis,
  }));
  if (rows.length) await trx.insertInto('request_tasks').values(rows).execute();
  return rows.length;
}
