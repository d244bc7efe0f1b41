/**
 * Row types of the retention feature, added to the database type by module augmentation so that
 * src/db/tables.ts stays the register's. Dates that are calendar days (an event's date, a review
 * date) are `YYYY-MM-DD`; instants are ISO 8601 UTC strings, as everywhere else.
 */
import type { Generated } from 'kysely';

/** Something that happened in a subject's life that starts or ends a retention period. */
export interface LifeEventsTable {
  id: string;
  subject_id: string;
  /** One of EVENT_TYPES (retention triggers, and the events that reopen them). */
  type: string;
  /** The day it happened (may be earlier than recorded_at: back-dated events are allowed). */
  occurred_on: string;
  /** A declared relationship id when the event concerns one relationship only ("customer"). */
  relationship: string | null;
  recorded_by: string;
  recorded_at: string;
  /** What recorded it: "api", "cli", or the feature that caused it ("consent"). */
  origin: string;
  /**
   * active: retention acts on it. pending: recorded by someone who may not erase; it takes effect
   * when a privacy officer approves it, or by itself on `pending_until` when that is set (a recent
   * event waits a few days; a back-dated one needs approval). rejected: never takes effect.
   */
  status: 'active' | 'pending' | 'rejected';
  /** YYYY-MM-DD from which a pending event takes effect without approval; null: approval needed. */
  pending_until: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

/** A legal hold: matching data is never deleted or anonymised while it is active. */
export interface LegalHoldsTable {
  id: string;
  /** Scope: any combination of subject, relationship and category; at least one is set. */
  subject_id: string | null;
  relationship: string | null;
  category: string | null;
  /** Why (a case reference, not personal data). */
  reason: string;
  placed_by: string;
  placed_at: string;
  /** When the hold must be looked at again. */
  review_on: string;
  /** Optional day the hold lapses by itself. */
  expires_on: string | null;
  released_at: string | null;
  released_by: string | null;
  release_reason: string | null;
}

/** A periodic review decision (review_every): keep with a reason and a next date, or delete. */
export interface RetentionReviewsTable {
  id: string;
  subject_id: string;
  rule: string;
  decision: 'keep' | 'delete';
  reason: string;
  decided_by: string;
  decided_at: string;
  /** With keep: when the next review is due. */
  next_review_on: string | null;
}

/**
 * What anonymisation keeps: the declared statistical fields, with no subject or record id, so the
 * row cannot be linked back to a person (and survives the destruction of the subject's key).
 */
export interface RetentionStatisticsTable {
  id: Generated<number>;
  rule: string;
  /** The month anonymised, YYYY-MM: a day would narrow down who it was. */
  anonymised_in: string;
  record_count: number;
  /** JSON object: statistical field name → value. */
  fields: string;
}

declare module '../db/tables.js' {
  interface Tables {
    life_events: LifeEventsTable;
    legal_holds: LegalHoldsTable;
    retention_reviews: RetentionReviewsTable;
    retention_statistics: RetentionStatisticsTable;
  }
}
