/**
 * Row types of the breach register, added to the database type by module augmentation.
 *
 * A breach is a row of derived, non-personal columns (for listing and the reminder job) and an
 * append-only sequence of events; the events are the record. Free text about a breach can name
 * people, so each event's content is encrypted under the breach's own data key, wrapped by the
 * key-encryption key like a subject's key.
 */
import type { Generated } from 'kysely';

export interface BreachesTable {
  id: string;
  /** Human reference, e.g. "BR-2026-001": unique, never personal data. */
  reference: string;
  created_at: string;
  created_by: string;
  /** The following columns are derived from the events, kept in the same transaction. */
  aware_at: string;
  deadline_at: string;
  /** open | closed */
  status: string;
  /** pending | reported | not-required */
  ico_state: string;
  /** unlikely | risk | high, or null before an assessment. */
  risk: string | null;
  /** The sequence number of the last event. */
  version: number;
  updated_at: string;
  wrapped_key: Buffer;
  kek_version: number;
}

export interface BreachEventsTable {
  id: string;
  breach_id: string;
  seq: number;
  type: string;
  /** When the event was recorded (the clock's time). */
  at: string;
  actor: string;
  actor_role: string | null;
  /** The event's content, JSON encrypted under the breach key. */
  payload: Buffer;
}

export interface BreachSubjectsTable {
  breach_id: string;
  subject_id: string;
  /** JSON { category: records } of this person's records involved. */
  categories: string;
  records: number;
  added_at: string;
  added_by: string;
}

export interface BreachNotificationsTable {
  id: string;
  breach_id: string;
  subject_id: string;
  /** email | post */
  channel: string;
  /** sent | failed | no-address | exported */
  status: string;
  at: string;
  message_id: string | null;
  /** A code and gist only (never an address or a server reply quoting one). */
  error: string | null;
  actor: string;
}

export interface BreachRemindersTable {
  id: Generated<number>;
  breach_id: string;
  /** 48h | 12h | deadline */
  stage: string;
  due_at: string;
  /** pending (claimed, being sent) | sent | failed | superseded */
  status: string;
  claimed_at: string;
  sent_at: string | null;
  message_id: string | null;
}

declare module '../db/tables.js' {
  interface Tables {
    breaches: BreachesTable;
    breach_events: BreachEventsTable;
    breach_subjects: BreachSubjectsTable;
    breach_notifications: BreachNotificationsTable;
    breach_reminders: BreachRemindersTable;
  }
}
