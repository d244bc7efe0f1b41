/** Row type of the complaints register (migration 20261202_1602), by module augmentation. */
export interface ComplaintsTable {
  id: string;
  /** Human reference, e.g. "CP-2026-001": never personal data. */
  reference: string;
  /** web | email | phone | letter | in-person */
  channel: string;
  /** received | acknowledged | closed */
  status: string;
  received_on: string;
  /** The last day to acknowledge it (s.164A(3)): see complaintsClock. */
  ack_due_on: string;
  acknowledged_on: string | null;
  closed_on: string | null;
  /** upheld | partly-upheld | not-upheld | withdrawn */
  outcome: string | null;
  /** The person in the register the complaint is about, once staff have matched them. */
  subject_id: string | null;
  /** The privacy notice in force when it was received. */
  notice_hash: string;
  /** The latest acknowledgement reminder sent: week-before | due-day | overdue. */
  reminded: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  version: number;
  wrapped_key: Buffer;
  kek_version: number;
  payload: Buffer;
}

declare module '../db/tables.js' {
  interface Tables {
    complaints: ComplaintsTable;
  }
}
