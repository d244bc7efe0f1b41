/**
 * Row types of the rights-request register, added to the database type by module augmentation.
 *
 * A request row holds only what the clock, the lists and the reminder job need (dates, status,
 * type, the confirmed subject id). Everything about the requester — name, email, phone, address,
 * the representative, what they asked in their own words, letters sent — is one JSON document
 * encrypted under the request's own data key, wrapped by the key-encryption key like a subject's.
 */
import type { Generated } from 'kysely';

export interface RequestsTable {
  id: string;
  /** Human reference, e.g. "RQ-2026-001": never personal data. */
  reference: string;
  /** One of REQUEST_TYPES (requests.store.ts). */
  type: string;
  /** identity-pending | fee-pending | open | paused | extended | completed | refused | withdrawn */
  status: string;
  /** email | phone | letter | web */
  channel: string;
  received_on: string;
  id_received_on: string | null;
  /** Set when a representative acts for the person; null when the person asks for themselves. */
  authority_needed: number;
  authority_received_on: string | null;
  /**
   * The day a fee was asked for (Art 12(5), Art 15(3)) while that request for a fee stands; null
   * when none was asked or it was waived. The amount and the reasons are in the encrypted document.
   */
  fee_asked_on: string | null;
  /** The day the fee arrived: the clock starts then at the earliest (Art 12A UK GDPR). */
  fee_received_on: string | null;
  /** JSON [{ from, to|null }] of clarification pauses (dates only). */
  pauses: string;
  extended: number;
  /** The deadline in force (YYYY-MM-DD), recomputed on every change. */
  due_on: string;
  first_due_on: string;
  extension_notice_due: string;
  rules_id: string;
  subject_id: string | null;
  /** A short code of the result (e.g. "erased", "partly-erased", "refused"), never free text. */
  outcome: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  closed_at: string | null;
  version: number;
  wrapped_key: Buffer;
  kek_version: number;
  /** The encrypted request document (requests.store.ts RequestDoc). */
  payload: Buffer;
}

export interface RequestEventsTable {
  id: string;
  request_id: string;
  seq: number;
  type: string;
  at: string;
  actor: string;
  /** JSON of ids, dates, counts, enum values and digests only. */
  details: string;
}

/** Art 19: telling each recipient of the categories a rectification, erasure or restriction affected. */
export interface RequestTasksTable {
  id: string;
  request_id: string;
  recipient: string;
  /** JSON array of category ids. */
  categories: string;
  /** rectification | erasure | restriction */
  action: string;
  /** open | done */
  status: string;
  created_at: string;
  done_at: string | null;
  done_by: string | null;
  /** Why this recipient: "logged" (the disclosure log), "declared-routine" (no log; routinely receives it); null on tasks made before the log existed. */
  basis: string | null;
}

export interface RequestRemindersTable {
  id: Generated<number>;
  request_id: string;
  /** week-before | two-days-before | due-day */
  stage: string;
  due_on: string;
  /** pending | sent | failed | superseded */
  status: string;
  claimed_at: string;
  sent_at: string | null;
  message_id: string | null;
}

/** A released access or portability pack: a ZIP encrypted under the request key, fetched by a signed link. */
export interface RequestPacksTable {
  id: string;
  request_id: string;
  kind: string;
  created_at: string;
  expires_at: string;
  content: Buffer;
  size: number;
  downloads: number;
}

declare module '../db/tables.js' {
  interface Tables {
    requests: RequestsTable;
    request_events: RequestEventsTable;
    request_tasks: RequestTasksTable;
    request_reminders: RequestRemindersTable;
    request_packs: RequestPacksTable;
  }
}
