/** Row types of the disclosure log and the review reminders, added to the database type. */

export interface DisclosuresTable {
  id: string;
  /** The subject's random id: never personal data in itself. */
  subject_id: string;
  /** A declared recipient's id, or a reserved one: "data-subject" (an access pack), "ico". */
  recipient: string;
  /** JSON array of data category ids. */
  categories: string;
  disclosed_at: string;
  /** A reason code: contract | legal-obligation | request | access-request | rights-notice | other */
  reason: string;
  /** The free-text note, AES-GCM under the subject's data key; null when none was given. */
  note: Buffer | null;
  /** manual (recorded by a person) | automatic (Steward's own send) */
  origin: string;
  recorded_by: string;
  recorded_at: string;
}

export interface ReviewRemindersTable {
  /** e.g. "recipient:worldpay" or "assessment:dpia-calls" */
  item: string;
  due_on: string;
  /** pending | sent | failed */
  status: string;
  claimed_at: string;
  sent_at: string | null;
}

declare module '../db/tables.js' {
  interface Tables {
    disclosures: DisclosuresTable;
    review_reminders: ReviewRemindersTable;
  }
}
