/**
 * Row types of the consent and marketing tables, added to the database type by augmentation.
 * Timestamps are ISO strings, booleans 0/1 (see db/tables.ts).
 */
import type { Generated } from 'kysely';

export type ConsentAction = 'given' | 'renewed' | 'withdrawn' | 'parental-consent' | 'soft-opt-in';

export interface ConsentEventsTable {
  id: string;
  subject_id: string;
  purpose: string;
  channel: string;
  action: ConsentAction;
  occurred_at: string;
  method: string;
  wording: string | null;
  notice_version: string;
  source: string | null;
  /** Encrypted under the subject's key. */
  evidence: Buffer | null;
  recorded_by: string;
  recorded_at: string;
  child: number;
  expires_at: string | null;
}

export interface ConsentStateTable {
  subject_id: string;
  purpose: string;
  channel: string;
  status: 'active' | 'withdrawn' | 'none';
  given_at: string | null;
  expires_at: string | null;
  child: number;
  parental: number;
  soft_opt_in: number;
  last_event_id: string;
  updated_at: string;
}

export interface SuppressionsTable {
  id: Generated<number>;
  hash: string;
  /** Blind-index digest (version 1) of the identifier; null when imported as a bare hash. */
  lookup: string | null;
  channel: string;
  scope: string;
  reason: string;
  created_at: string;
  created_by: string;
}

export interface TpsNumbersTable {
  register: 'tps' | 'ctps';
  hash: string;
}

export interface TpsImportsTable {
  id: Generated<number>;
  register: 'tps' | 'ctps';
  imported_at: string;
  numbers: number;
  rejected: number;
  file_digest: string;
  imported_by: string;
}

export interface RenewalRequestsTable {
  /** subject|purpose|channel|expiry: one request per consent period. */
  period_key: string;
  subject_id: string;
  purpose: string;
  channel: string;
  status: 'sending' | 'sent' | 'failed' | 'skipped';
  claim: string;
  claimed_at: string;
  sent_at: string | null;
  attempts: number;
}

declare module '../db/tables.js' {
  interface Tables {
    consent_events: ConsentEventsTable;
    consent_state: ConsentStateTable;
    suppressions: SuppressionsTable;
    tps_numbers: TpsNumbersTable;
    tps_imports: TpsImportsTable;
    renewal_requests: RenewalRequestsTable;
  }
}
